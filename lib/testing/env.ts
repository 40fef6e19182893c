import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tests keep generated keys out of the checkout and their logs out of the report.
process.env.DATA_DIR ??= mkdtempSync(join(tmpdir(), 'marketplace-test-'));
process.env.LOG_LEVEL ??= 'silent';
// A cheaper scrypt keeps sign-ups fast; the hash format and code path are the production ones.
process.env.PASSWORD_SCRYPT_LOG_N ??= '12';
