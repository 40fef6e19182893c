import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditFromCommandLine } from '../../scripts/command-line-audit';
import { sharedStateFromEnv } from '../config';
import { manifestFromDocuments, manifestFromPersistedDocuments, parseManifest, type PersistedQueryManifest } from './manifest';
import { openPartnerStore, type Partner } from './store';

const USAGE = `Partners and their persisted query manifests (npm run partners -- <command>)

  add <name> --manifest <file> [--rate-limit <per minute>]   register a partner; prints its API key, once
  set-manifest <partner id> --manifest <file>                replace what a partner may run
  revoke <partner id>                                        the key stops working (within seconds on every router)
  list                                                       every partner, revoked ones too
  manifest <.graphql files or folders…> [--out <file>]       a manifest from operation documents
  manifest --from-codegen <persisted-documents.json> [--out <file>]
                                                             a manifest from GraphQL Code Generator's persisted documents

Partners live in Redis when REDIS_URL is set (REDIS_PREFIX names the keys), else in PARTNERS_FILE
(default: DATA_DIR/partners.json), the same place the router reads them from. add, set-manifest and
revoke are written to the audit log, in the accounts database: DATABASE_URL (that database), else the
embedded one under DATA_DIR (stop npm start first).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { manifest: { type: 'string' }, 'rate-limit': { type: 'string' }, out: { type: 'string' }, 'from-codegen': { type: 'string' }, help: { type: 'boolean' } },
  });
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  if (command === 'manifest') {
    const manifest = values['from-codegen']
      ? manifestFromPersistedDocuments(JSON.parse(readFileSync(values['from-codegen'], 'utf8')) as Record<string, string>)
      : manifestFromDocuments(graphqlFiles(rest).map((file) => readFileSync(file, 'utf8')));
    const json = `${JSON.stringify(manifest, null, 2)}\n`;
    if (!values.out) {
      process.stdout.write(json);
      return 0;
    }
    writeFileSync(values.out, json);
    console.log(`${manifest.operations.length} operations written to ${values.out}`);
    return 0;
  }

  const store = openPartnerStore(sharedStateFromEnv());
  try {
    switch (command) {
      case 'add': {
        const [name] = rest;
        if (!name || !values.manifest) throw new UsageError('add <name> --manifest <file>');
        const rateLimit = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
        if (rateLimit !== undefined && !(Number.isInteger(rateLimit) && rateLimit > 0)) throw new UsageError('--rate-limit is a positive whole number of requests a minute');
        const { partner, apiKey } = await store.add({ name, manifest: readManifest(values.manifest), rateLimitPerMinute: rateLimit });
        console.log(`partner ${partner.id} (${partner.name}): ${partner.manifest.operations.length} operations`);
        console.log(`API key (shown once, keep it secret): ${apiKey}`);
        return audited('partner_key.added', partner, { name: partner.name, operations: partner.manifest.operations.length, rateLimitPerMinute: partner.rateLimitPerMinute ?? null });
      }
      case 'set-manifest': {
        const [id] = rest;
        if (!id || !values.manifest) throw new UsageError('set-manifest <partner id> --manifest <file>');
        const partner = await store.setManifest(id, readManifest(values.manifest));
        console.log(`partner ${partner.id} (${partner.name}): ${partner.manifest.operations.length} operations`);
        return audited('partner_key.manifest_changed', partner, { operations: partner.manifest.operations.map((o) => o.id) });
      }
      case 'revoke': {
        const [id] = rest;
        if (!id) throw new UsageError('revoke <partner id>');
        const partner = await store.revoke(id);
        console.log(`partner ${partner.id} (${partner.name}) revoked at ${partner.revokedAt}`);
        return audited('partner_key.revoked', partner, { name: partner.name });
      }
      case 'list': {
        const partners = await store.list();
        if (partners.length === 0) console.log('no partners');
        for (const partner of partners.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) console.log(describe(partner));
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await store.close();
  }
}

class UsageError extends Error {}

/**
 * The change is made (Redis or the file has no transaction to share with the log), then audited; an
 * entry that could not be written is said loudly, with a failing exit code, so that it is not lost quietly.
 */
async function audited(action: string, partner: Partner, details: Record<string, unknown>): Promise<number> {
  try {
    await auditFromCommandLine({ action, actorId: null, targetType: 'partner', targetId: partner.id, details });
    return 0;
  } catch (error) {
    console.error(`error: done, but not written to the audit log (${(error as Error).message}); record it by hand`);
    return 1;
  }
}

function describe(partner: Partner): string {
  const operations = partner.manifest.operations.map((o) => o.name).join(', ');
  const rate = partner.rateLimitPerMinute ? `${partner.rateLimitPerMinute}/min` : 'default rate';
  return `${partner.id}  ${partner.name}  ${partner.revokedAt ? `REVOKED ${partner.revokedAt}` : 'active'}  ${rate}  created ${partner.createdAt}  [${operations}]`;
}

function readManifest(file: string): PersistedQueryManifest {
  return parseManifest(JSON.parse(readFileSync(file, 'utf8')));
}

function graphqlFiles(paths: string[]): string[] {
  if (paths.length === 0) throw new UsageError('manifest <.graphql files or folders…>');
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path).filter((f) => f.endsWith('.graphql')).sort().map((f) => join(path, f))
      : [path],
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? `usage: npm run partners -- ${error.message}` : `error: ${(error as Error).message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
