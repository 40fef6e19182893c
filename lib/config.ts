/**
 * Reading configuration from the environment. Every reader fails fast with the variable's name,
 * so a misconfigured process dies at start instead of misbehaving later.
 */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function optionalString(name: string, env: Env = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function requiredString(name: string, env: Env = process.env): string {
  const value = optionalString(name, env);
  if (value === undefined) throw new ConfigError(`${name} must be set`);
  return value;
}

export function integer(name: string, fallback: number, env: Env = process.env): number {
  const raw = optionalString(name, env);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  return Number(raw);
}

export function boolean(name: string, fallback: boolean, env: Env = process.env): boolean {
  const raw = optionalString(name, env);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function isProduction(env: Env = process.env): boolean {
  return env.NODE_ENV === 'production';
}

/** Where embedded mode keeps its databases and generated keys between runs. */
export function dataDir(env: Env = process.env): string {
  return optionalString('DATA_DIR', env) ?? '.data';
}
