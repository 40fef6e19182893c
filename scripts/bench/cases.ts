import { spawn } from 'node:child_process';
import { ROOT } from '../../schema/subgraphs';

/**
 * `npm run bench`: the cases BENCH_CASES names (subscriptions,notifications by default) one after the other, each in a process
 * of its own as when run alone (`tsx scripts/bench/<case>.ts`), so that one case's stack, ports and memory are gone before the
 * next one starts. Stops at the first case that fails, with its exit code.
 */
const CASES: Record<string, string> = {
  subscriptions: 'scripts/bench/subscriptions.ts',
  notifications: 'scripts/bench/notifications.ts',
};

function run(script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  const wanted = (process.env.BENCH_CASES ?? 'subscriptions,notifications').split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = wanted.filter((name) => !(name in CASES));
  if (unknown.length) {
    console.error(`unknown BENCH_CASES ${unknown.join(', ')}: the cases are ${Object.keys(CASES).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  for (const name of wanted) {
    const code = await run(CASES[name]);
    if (code !== 0) {
      console.error(`bench case ${name} failed (exit code ${code})`);
      process.exitCode = code;
      return;
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
