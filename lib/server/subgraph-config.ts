import { ConfigError, integer, optionalString } from '../config';
import type { DeadLetterSettings } from '../events/dead-letters';
import { DEFAULT_CALL_POLICY, type CallPolicy } from './internal-client';
import type { Env } from './subgraph-module';

/** The settings every subgraph reads the same way; each one's own live in subgraphs/<name>/config.ts. */
export interface SubgraphRuntimeConfig {
  /** Calls to other subgraphs: their timeout and circuit breaker (PEER_TIMEOUT_MS, PEER_CIRCUIT_RESET_MS). */
  peers: CallPolicy;
  /** Failed event deliveries before a dead letter, and how often replays are looked for (EVENT_*). */
  events: DeadLetterSettings;
  /** The router's public origin (PUBLIC_URL), for links in what subgraphs send people. */
  publicUrl: string;
}

/** Where the router listens by default (router/config.ts), so that links work on a developer's machine unset. */
const DEFAULT_PUBLIC_URL = 'http://localhost:4000';

function publicUrl(env: Env): string {
  const raw = optionalString('PUBLIC_URL', env) ?? DEFAULT_PUBLIC_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute URL such as https://market.example, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`PUBLIC_URL must be http(s), got "${raw}"`);
  return url.origin;
}

export function subgraphRuntimeConfig(env: Env): SubgraphRuntimeConfig {
  return {
    peers: {
      timeoutMs: integer('PEER_TIMEOUT_MS', DEFAULT_CALL_POLICY.timeoutMs, env),
      resetMs: integer('PEER_CIRCUIT_RESET_MS', DEFAULT_CALL_POLICY.resetMs, env),
    },
    events: { maxAttempts: integer('EVENT_MAX_ATTEMPTS', 5, env), replayPollMs: integer('EVENT_REPLAY_POLL_MS', 1000, env) },
    publicUrl: publicUrl(env),
  };
}
