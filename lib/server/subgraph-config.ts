import { integer } from '../config';
import type { DeadLetterSettings } from '../events/dead-letters';
import { DEFAULT_CALL_POLICY, type CallPolicy } from './internal-client';
import type { Env } from './subgraph-module';

/** The settings every subgraph reads the same way; each one's own live in subgraphs/<name>/config.ts. */
export interface SubgraphRuntimeConfig {
  /** Calls to other subgraphs: their timeout and circuit breaker (PEER_TIMEOUT_MS, PEER_CIRCUIT_RESET_MS). */
  peers: CallPolicy;
  /** Failed event deliveries before a dead letter, and how often replays are looked for (EVENT_*). */
  events: DeadLetterSettings;
}

export function subgraphRuntimeConfig(env: Env): SubgraphRuntimeConfig {
  return {
    peers: {
      timeoutMs: integer('PEER_TIMEOUT_MS', DEFAULT_CALL_POLICY.timeoutMs, env),
      resetMs: integer('PEER_CIRCUIT_RESET_MS', DEFAULT_CALL_POLICY.resetMs, env),
    },
    events: { maxAttempts: integer('EVENT_MAX_ATTEMPTS', 5, env), replayPollMs: integer('EVENT_REPLAY_POLL_MS', 1000, env) },
  };
}
