import type { DataSource, EntityManager } from 'typeorm';

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

export async function grantRole(db: Queryable, email: string, role: string): Promise<RoleChange> {
  const userId = await userByEmail(db, email);
  if (!userId) return 'no-such-user';
  const [{ n }]: { n: number }[] = await db.query(
    `WITH inserted AS (INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
     SELECT count(*)::int AS n FROM inserted`,
    [userId, role],
  );
  return n ? 'granted' : 'already';
}

export async function revokeRole(db: Queryable, email: string, role: string): Promise<RoleChange> {
  const userId = await userByEmail(db, email);
  if (!userId) return 'no-such-user';
  const [{ n }]: { n: number }[] = await db.query(
    `WITH removed AS (DELETE FROM user_roles WHERE user_id = $1 AND role = $2 RETURNING 1) SELECT count(*)::int AS n FROM removed`,
    [userId, role],
  );
  return n ? 'revoked' : 'not-held';
}

export async function holdersOf(db: Queryable, role: string): Promise<{ email: string; grantedAt: Date }[]> {
  const rows: { email: string; granted_at: Date }[] = await db.query(
    `SELECT u.email, r.granted_at FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = $1 ORDER BY u.email`,
    [role],
  );
  return rows.map((row) => ({ email: row.email, grantedAt: new Date(row.granted_at) }));
}
