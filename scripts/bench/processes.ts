import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline';
import { ROOT } from '../../schema/subgraphs';

/** The keys production mode wants given: accounts' token signing key, notifications' link signing key. */
const JWT_PRIVATE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const NOTIFICATIONS_SIGNING_KEY = randomBytes(32).toString('base64url');

/** A service of a benchmark in a process of its own, run as production runs it; it talks to its parent in JSON lines. */
export function spawnService(script: string, env: Record<string, string>): ChildProcess {
  // BENCH_NODE_ARGS, e.g. --cpu-prof, to profile the services and the router under load
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: ROOT,
    // as production runs: NODE_ENV=production also turns off graphql-js's development checks
    env: { ...process.env, NODE_ENV: 'production', JWT_PRIVATE_KEY, NOTIFICATIONS_SIGNING_KEY, LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

export function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const readers = new WeakMap<ChildProcess, Interface>();

/** The next JSON line a child prints (where its services listen, an answer to a question on its stdin). */
export function nextLine<T>(child: ChildProcess): Promise<T> {
  let lines = readers.get(child);
  if (!lines) readers.set(child, (lines = createInterface({ input: child.stdout! })));
  const reader = lines;
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`${child.spawnargs.join(' ')} exited with ${code}`));
    child.once('exit', exited);
    reader.once('line', (line) => {
      child.off('exit', exited);
      resolve(JSON.parse(line) as T);
    });
  });
}
