import type { AuditedAction } from '../lib/audit/record';
import { appendAuditNow } from '../subgraphs/accounts/audit-log';
import { accounts } from '../subgraphs/accounts/subgraph';
import { openSubgraphDatabase } from './subgraph-database';

/**
 * Appends what an operator did from the command line (partner keys, which live in Redis or a file and
 * have no database of their own) to the audit log, in the accounts database that keeps it: DATABASE_URL
 * of that database, else the embedded one under DATA_DIR (stop `npm start` first). No actor, address or
 * request: the command line has none.
 */
export async function auditFromCommandLine(action: AuditedAction): Promise<void> {
  const { db, close } = await openSubgraphDatabase(accounts);
  try {
    await db.transaction((manager) => appendAuditNow(manager, 'command-line', action));
  } finally {
    await close();
  }
}
