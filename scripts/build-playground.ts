import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../schema/subgraphs';

/**
 * Bundles the GraphiQL playground with Vite into router/playground/dist, which the router serves at
 * GET /graphql. Skips the build when dist/index.html is newer than everything it is made from.
 * `--force` builds anyway.
 */
const PLAYGROUND = join(ROOT, 'router', 'playground');
const OUT = join(PLAYGROUND, 'dist', 'index.html');
const CONFIG = join(PLAYGROUND, 'vite.config.mts');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** What the bundle is made from: its page, its code, its config, the example operations and the locked packages. */
export function playgroundSources(): string[] {
  const operations = join(ROOT, 'schema', 'operations');
  return [
    join(PLAYGROUND, 'index.html'),
    CONFIG,
    join(PLAYGROUND, 'tsconfig.json'),
    ...filesUnder(join(PLAYGROUND, 'src')),
    ...readdirSync(operations)
      .filter((f) => f.endsWith('.graphql'))
      .map((f) => join(operations, f)),
    join(ROOT, 'package-lock.json'),
  ].filter((f) => existsSync(f));
}

/** The first source newer than the built page, or undefined when the build is up to date. */
export function staleBecause(): string | undefined {
  if (!existsSync(OUT)) return 'not built yet';
  const built = statSync(OUT).mtimeMs;
  const newer = playgroundSources().find((f) => statSync(f).mtimeMs > built);
  return newer && `${relative(ROOT, newer)} changed`;
}

export async function buildPlayground({ force = false } = {}): Promise<void> {
  const reason = force ? 'forced' : staleBecause();
  const where = relative(ROOT, join(PLAYGROUND, 'dist'));
  if (!reason) {
    console.log(`playground: up to date (${where}), build skipped`);
    return;
  }
  const started = Date.now();
  // vite is an ES module only
  const { build } = await import('vite');
  await build({ configFile: CONFIG, logLevel: 'warn' });
  const bytes = filesUnder(join(PLAYGROUND, 'dist')).reduce((sum, f) => sum + statSync(f).size, 0);
  console.log(
    `playground: built ${where} (${reason}) in ${((Date.now() - started) / 1000).toFixed(1)} s, ${(bytes / 1024 / 1024).toFixed(1)} MB`,
  );
}

if (require.main === module) {
  buildPlayground({ force: process.argv.includes('--force') }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
