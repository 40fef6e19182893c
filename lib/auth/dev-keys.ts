import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../config';

/**
 * For a development machine only: a key made on first start and kept under the data directory, so
 * that every process started from the same checkout agrees on it without any configuration.
 */
export function keptKey(name: string, generate: () => string, env: Record<string, string | undefined> = process.env): string {
  const dir = join(dataDir(env), 'keys');
  const file = join(dir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const value = generate();
  try {
    writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
    return value;
  } catch {
    // another process made it first: use theirs
    return readFileSync(file, 'utf8');
  }
}
