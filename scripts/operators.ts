import { accounts } from '../subgraphs/accounts/subgraph';
import { OPERATOR, grantRole, holdersOf, revokeRole, type RoleChange } from '../subgraphs/accounts/roles';
import { openSubgraphDatabase } from './subgraph-database';
import { runCommand } from './run-command';

/**
 * `npm run operators -- grant <email> | revoke <email> | list`: who may run the marketplace. Run it
 * with the accounts subgraph's environment (DATABASE_URL of its database); on the embedded default,
 * stop `npm start` first. A grant or a revocation takes effect with the user's next token (log in again).
 */
const USAGE = 'usage: npm run operators -- grant <email> | revoke <email> | list';

const SAID: Record<RoleChange, (email: string) => string> = {
  granted: (email) => `${email} is now an operator (from their next log-in)`,
  already: (email) => `${email} was an operator already`,
  revoked: (email) => `${email} is no longer an operator (their current token keeps the role until it expires)`,
  'not-held': (email) => `${email} was not an operator`,
  'no-such-user': (email) => `no account has the email ${email}`,
};

async function main(): Promise<number> {
  const [command, email] = process.argv.slice(2);
  if (!(command === 'list' || ((command === 'grant' || command === 'revoke') && email))) {
    console.error(USAGE);
    return 2;
  }
  const { db, close } = await openSubgraphDatabase(accounts);
  try {
    if (command === 'list') {
      const holders = await holdersOf(db, OPERATOR);
      if (holders.length === 0) console.log('no operators');
      for (const { email: who, grantedAt } of holders) console.log(`${who}\tsince ${grantedAt.toISOString()}`);
      return 0;
    }
    const change = command === 'grant' ? await grantRole(db, email, OPERATOR) : await revokeRole(db, email, OPERATOR);
    (change === 'no-such-user' ? console.error : console.log)(SAID[change](email));
    return change === 'no-such-user' ? 1 : 0;
  } finally {
    await close();
  }
}

runCommand(main);
