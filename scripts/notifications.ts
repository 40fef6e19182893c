import { createLogger } from '../lib/logger';
import { notificationsConfig } from '../subgraphs/notifications/config';
import { EmailQueue } from '../subgraphs/notifications/email-queue';
import { notifications } from '../subgraphs/notifications/subgraph';
import { openSubgraphDatabase } from './subgraph-database';
import { runCommand } from './run-command';

/**
 * `npm run notifications -- dead-letters | retry <email id>... | retry --all`: the emails that could not
 * be sent (the server refused them for good, or every attempt failed), and sending them again with a
 * fresh set of attempts. Run it with the notifications subgraph's environment (DATABASE_URL of its
 * database): its running workers send what is queued. On the embedded default, stop `npm start` first;
 * the emails go when it starts again.
 */
const USAGE = 'usage: npm run notifications -- dead-letters | retry <email id>... | retry --all';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  const retryAll = command === 'retry' && args.length === 1 && args[0] === '--all';
  const retryIds = command === 'retry' && args.length > 0 && args.every((id) => UUID.test(id));
  if (!(command === 'dead-letters' && args.length === 0) && !retryAll && !retryIds) {
    console.error(USAGE);
    return 2;
  }
  const { db, close } = await openSubgraphDatabase(notifications);
  const config = notificationsConfig(process.env);
  const settings = { maxAttempts: config.emailMaxAttempts, retryDelaySeconds: config.emailRetryDelaySeconds, concurrency: 1 };
  const queue = new EmailQueue(db, null, settings, createLogger());
  try {
    await queue.start({ work: false });
    if (command === 'dead-letters') {
      const letters = await queue.deadLetters();
      if (letters.length === 0) console.log('no dead letters');
      for (const letter of letters) {
        console.log([letter.id, letter.createdAt.toISOString(), letter.to, letter.subject, `${letter.attempts} attempts`, letter.error ?? ''].join('\t'));
      }
      return 0;
    }
    const revived = await queue.retryDead(retryAll ? 'all' : args);
    console.log(`${revived} email${revived === 1 ? '' : 's'} queued again`);
    return retryAll || revived === args.length ? 0 : 1;
  } finally {
    await queue.stop();
    await close();
  }
}

runCommand(main);
