import type { DataSource, EntityManager } from 'typeorm';
import { appendAuditNow } from './audit-log';

/**
 * Roles granted from the command line (`npm run operators`), never through the API: an operator runs
 * the marketplace (commission, reconciliation, moderation, disputes). The role travels in the user's
 * next token as a role and a scope, which operator-only operations require.
 */
export { OPERATOR } from '../../lib/auth/operators';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

export async function rolesOf(db: Queryable, userId: string): Promise<string[]> {
  const rows: { role: string }[] = await db.query(`SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role`, [userId]);
  return rows.map((row) => row.role);
}

/** What a grant or a revocation did, for the command line to say. */
export type RoleChange = 'granted' | 'already' | 'revoked' | 'not-held' | 'no-such-user';

const userByEmail = async (db: Queryable, email: string): Promise<string | undefined> => {
  const [user]: { id: string }[] = await db.query(`SELECT id FROM users WHERE email = lower(trim($1))`, [email]);
  return user?.id;
};

type Transactional = Pick<DataSource | EntityManager, 'transaction'>;

/**
 * Roles change from the command line only, so the audit entry is appended directly in the change's
 * transaction (the command has no request, and accounts, which keeps the log, owns this database):
 * no actor (null: the command line), the user as target.
 */
const audited = (manager: EntityManager, action: 'role.granted' | 'role.revoked', userId: string, role: string) =>
  appendAuditNow(manager, 'accounts', { action, actorId: null, targetType: 'user', targetId: userId, details: { role, via: 'command line' } });

export async function grantRole(db: Transactional, email: string, role: string): Promise<RoleChange> {
  return db.transaction(async (manager) => {
    const userId = await userByEmail(manager, email);
    if (!userId) return 'no-such-user';
    const [{ n }]: { n: number }[] = await manager.query(
      `WITH inserted AS (INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM inserted`,
      [userId, role],
    );
    if (!n) return 'already';
    await audited(manager, 'role.granted', userId, role);
    return 'granted';
  });
}

export async function revokeRole(db: Transactional, email: string, role: string): Promise<RoleChange> {
  return db.transaction(async (manager) => {
    const userId = await userByEmail(manager, email);
    if (!userId) return 'no-such-user';
    const [{ n }]: { n: number }[] = await manager.query(
      `WITH removed AS (DELETE FROM user_roles WHERE user_id = $1 AND role = $2 RETURNING 1) SELECT count(*)::int AS n FROM removed`,
      [userId, role],
    );
    if (!n) return 'not-held';
    await audited(manager, 'role.revoked', userId, role);
    return 'revoked';
  });
}

export async function holdersOf(db: Queryable, role: string): Promise<{ email: string; grantedAt: Date }[]> {
  const rows: { email: string; granted_at: Date }[] = await db.query(
    `SELECT u.email, r.granted_at FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = $1 ORDER BY u.email`,
    [role],
  );
  return rows.map((row) => ({ email: row.email, grantedAt: new Date(row.granted_at) }));
}
