import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../subgraphs';

test('the committed resolver types are what codegen makes from each schema.graphql (run npm run codegen)', () => {
  // The CLI runs outside jest's module system, which cannot load its ES-module dependencies.
  const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/.bin/graphql-codegen'), '--config', 'codegen.ts', '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(run.stdout + run.stderr).not.toMatch(/would be (created|modified)|Error/);
  expect(run.status).toBe(0);
});
