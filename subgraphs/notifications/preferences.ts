import type { DataSource, EntityManager } from 'typeorm';
import { badInput } from '../../lib/errors';
import { MANDATORY, NOTIFICATION_KINDS, type NotificationKind } from './kinds';

type Queryable = Pick<EntityManager, 'query'>;

export interface Preference {
  kind: NotificationKind;
  inApp: boolean;
  email: boolean;
  mandatory: boolean;
}

/** Every kind goes in-app and by email until the user says otherwise; only what they changed is stored. */
export class Preferences {
  constructor(private readonly db: DataSource) {}

  async list(userId: string): Promise<Preference[]> {
    const rows: { kind: string; in_app: boolean; email: boolean }[] = await this.db.query(
      `SELECT kind, in_app, email FROM notification_preferences WHERE user_id = $1`,
      [userId],
    );
    const stored = new Map(rows.map((row) => [row.kind, row]));
    return NOTIFICATION_KINDS.map((kind) => {
      const row = stored.get(kind);
      return { kind, inApp: row?.in_app ?? true, email: row?.email ?? true, mandatory: MANDATORY.has(kind) };
    });
  }

  /** Email for a mandatory kind cannot be turned off: BAD_USER_INPUT, nothing changes. */
  async set(userId: string, kind: NotificationKind, inApp: boolean, email: boolean): Promise<Preference> {
    if (MANDATORY.has(kind) && !email) throw badInput(`${kind} is about money or security: its email cannot be turned off`, 'email');
    await this.store(this.db, userId, kind, { inApp, email });
    return { kind, inApp, email, mandatory: MANDATORY.has(kind) };
  }

  /** Where one notification goes, in the caller's transaction. */
  async of(db: Queryable, userId: string, kind: NotificationKind): Promise<{ inApp: boolean; email: boolean }> {
    const [row]: { in_app: boolean; email: boolean }[] = await db.query(
      `SELECT in_app, email FROM notification_preferences WHERE user_id = $1 AND kind = $2`,
      [userId, kind],
    );
    return { inApp: row?.in_app ?? true, email: MANDATORY.has(kind) || (row?.email ?? true) };
  }

  /** The unsubscribe link: email off for the kind, in-app as it was. */
  async unsubscribe(userId: string, kind: NotificationKind): Promise<void> {
    if (MANDATORY.has(kind)) return;
    await this.db.query(
      `INSERT INTO notification_preferences (user_id, kind, in_app, email) VALUES ($1, $2, true, false)
       ON CONFLICT (user_id, kind) DO UPDATE SET email = false`,
      [userId, kind],
    );
  }

  private async store(db: Queryable, userId: string, kind: NotificationKind, { inApp, email }: { inApp: boolean; email: boolean }) {
    await db.query(
      `INSERT INTO notification_preferences (user_id, kind, in_app, email) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, kind) DO UPDATE SET in_app = excluded.in_app, email = excluded.email`,
      [userId, kind, inApp, email],
    );
  }
}
