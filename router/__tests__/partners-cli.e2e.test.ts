import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operation } from '../../lib/client/operations';
import { startTestStack, type TestStack } from '../../scripts/test-stack';
import { ROOT } from '../../schema/subgraphs';
import { parseManifest, sha256Hex } from '../partners/manifest';

/** The partner CLI as an operator runs it, against the store a running router reads. */
let stack: TestStack;
const dir = mkdtempSync(join(tmpdir(), 'partners-cli-'));
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  const { redisUrl, redisPrefix, partnersFile } = stack.routerConfig;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix! } : { PARTNERS_FILE: partnersFile! }),
    // the audit log's database (accounts'), where adding and revoking a key is recorded
    DATABASE_URL: (stack.subgraphs.accounts.db.options as { url: string }).url,
    LOG_LEVEL: 'silent',
  };
  // asynchronously: on the embedded default the accounts database is served from this very process
  return promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'router/partners/cli.ts'), ...args], { cwd: ROOT, env, encoding: 'utf8' }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout, err: error.stderr }),
  );
}

const call = async (apiKey: string, hash: string) => {
  const response = await fetch(stack.routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
  });
  return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
};

test('generate a manifest, register a partner, call by hash, list, revoke', async () => {
  const manifestFile = join(dir, 'listings.json');
  const generated = await cli('manifest', 'schema/operations/listings.graphql', '--out', manifestFile);
  expect(generated).toMatchObject({ code: 0 });
  const manifest = parseManifest(JSON.parse(readFileSync(manifestFile, 'utf8')));
  expect(manifest.operations.map((o) => o.name)).toContain('Categories');
  const categories = manifest.operations.find((o) => o.name === 'Categories')!;
  expect(categories.id).toBe(sha256Hex(categories.body));

  const added = await cli('add', 'Logistics Co', '--manifest', manifestFile, '--rate-limit', '600');
  expect(added.code).toBe(0);
  const apiKey = /API key[^:]*: (mk_\S+)/.exec(added.out)?.[1];
  const id = /partner (\S+) \(Logistics Co\)/.exec(added.out)?.[1];
  expect(apiKey).toBeDefined();

  expect(await call(apiKey!, categories.id)).toEqual({ data: { categories: expect.any(Array) } });
  expect((await call(apiKey!, sha256Hex(operation('Me')))).errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');

  const listed = await cli('list');
  expect(listed.out).toContain(`${id}  Logistics Co  active  600/min`);
  expect(listed.out).not.toContain(apiKey!);

  expect((await cli('revoke', id!)).code).toBe(0);
  expect((await cli('list')).out).toContain(`${id}  Logistics Co  REVOKED`);

  // both are in the audit log, with the partner as target and no actor (the command line); never the key
  const audited: { action: string; actor_id: string | null; details: Record<string, unknown> }[] = await stack.subgraphs.accounts.db.transaction((m) =>
    m.query(`SELECT action, actor_id, details FROM audit_log WHERE target_type = 'partner' AND target_id = $1 ORDER BY audit_log.id`, [id]),
  );
  expect(audited).toEqual([
    { action: 'partner_key.added', actor_id: null, details: { name: 'Logistics Co', operations: manifest.operations.length, rateLimitPerMinute: 600 } },
    { action: 'partner_key.revoked', actor_id: null, details: { name: 'Logistics Co' } },
  ]);
  expect(JSON.stringify(audited)).not.toContain(apiKey!);
});

test('a manifest from codegen\'s persisted documents keeps their ids, so a generated client calls by them', async () => {
  const documents = JSON.parse(readFileSync(join(ROOT, 'schema/generated/client/persisted-documents.json'), 'utf8')) as Record<string, string>;
  const manifestFile = join(dir, 'codegen.json');
  expect((await cli('manifest', '--from-codegen', 'schema/generated/client/persisted-documents.json', '--out', manifestFile)).code).toBe(0);
  const manifest = parseManifest(JSON.parse(readFileSync(manifestFile, 'utf8')));
  expect(manifest.operations.map((o) => o.id).sort()).toEqual(Object.keys(documents).sort());
  const apiKey = /API key[^:]*: (mk_\S+)/.exec((await cli('add', 'Generated Client Inc', '--manifest', manifestFile)).out)![1];
  const [categoriesId] = Object.entries(documents).find(([, body]) => body.startsWith('query Categories'))!;
  expect(await call(apiKey, categoriesId)).toEqual({ data: { categories: expect.any(Array) } });
});

test('bad input is refused with a clear message and changes nothing', async () => {
  const before = (await cli('list')).out;
  const notAManifest = join(dir, 'bad.json');
  writeFileSync(notAManifest, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'abc', name: 'X', type: 'query', body: '{ __typename }' }] }));
  const refused = await cli('add', 'Sneaky', '--manifest', notAManifest);
  expect(refused.code).toBe(1);
  expect(refused.err).toMatch(/not the sha256 of its body/);
  expect((await cli('add', 'No Manifest')).code).toBe(2);
  expect((await cli('revoke', 'no-such-partner')).err).toMatch(/no partner no-such-partner/);
  expect((await cli('list')).out).toBe(before);
});
