import { createHash, randomBytes } from 'node:crypto';

/** A secret handed to a person (a refresh token, a link's token): 256 random bits, URL-safe. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/**
 * What is stored of a secret: its SHA-256. A secret of 256 random bits needs no salt or slow KDF to
 * resist guessing, and a lookup by digest is one index probe.
 */
export const digestOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');
