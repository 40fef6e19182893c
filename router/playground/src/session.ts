import { tokenTimes } from './jwt';
import { graphqlRequest, GraphQLRequestError } from './request';

/**
 * The playground's sign-in: an access token for requests and a refresh token to renew it before it
 * expires. Both live in memory only, not in sessionStorage: a refresh token works once, and a copy
 * kept in storage would be cloned by "duplicate tab" into a second page racing the first to spend it;
 * memory also leaves nothing behind when the page closes. A reload asks to log in again.
 */
export interface Viewer {
  id: string;
  email: string;
  displayName: string;
  twoFactorEnabled: boolean;
}

export type SessionState =
  | { status: 'signed-out'; notice?: string }
  | {
      status: 'signed-in';
      viewer: Viewer;
      token: string;
      /** Milliseconds since the epoch. */
      expiresAt: number;
      renewsAt: number;
      /** Why the last renewal did not go through, while it is being tried again. */
      problem?: string;
    };

export type LogInOutcome = { status: 'signed-in' } | { status: 'code-needed'; message: string };

const LOG_IN = `mutation PlaygroundLogIn($input: LogInInput!) {
  logIn(input: $input) { token refreshToken user { id email displayName twoFactorEnabled } }
}`;
const REFRESH_SESSION = `mutation PlaygroundRefreshSession($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) { token refreshToken }
}`;
const LOG_OUT = `mutation PlaygroundLogOut($refreshToken: String!) { logOut(refreshToken: $refreshToken) }`;

/** Renew this long before the token expires, or a quarter of its life for tokens shorter than four minutes. */
const DEFAULT_REFRESH_LEAD_MS = 60_000;
/** A renewal that failed for a passing reason (the router restarting) is tried again this much later. */
const RETRY_MS = 5_000;
/** Never renew in a tight loop, whatever the lead and the token's life. */
const MIN_DELAY_MS = 1_000;
/** When a token carries no `exp`: the accounts service's default life. */
const ASSUMED_LIFE_MS = 15 * 60_000;

interface Tokens {
  token: string;
  refreshToken: string;
}

/** Errors that mean the refresh token will never work again (as opposed to the router being away). */
const FINAL_CODES = ['UNAUTHENTICATED', 'BAD_USER_INPUT', 'FORBIDDEN'];
const isFinal = (error: unknown) => error instanceof GraphQLRequestError && FINAL_CODES.includes(String(error.code));

export class Session {
  private state: SessionState = { status: 'signed-out' };
  private refreshToken: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewing: Promise<void> | undefined;
  /** Bumped by every sign-in and sign-out, so that a renewal finishing after either is not applied. */
  private generation = 0;
  private readonly listeners = new Set<() => void>();

  /** `refreshLeadMs`: how long before expiry to renew; by default a minute (less for short-lived tokens). */
  constructor(private readonly refreshLeadMs?: number) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly snapshot = (): SessionState => this.state;

  /** The Authorization value requests should carry now, renewing first when the token is due (a timer may fire late). */
  async authorization(): Promise<string | undefined> {
    if (this.state.status === 'signed-in' && Date.now() >= this.state.renewsAt) await this.renew();
    return this.state.status === 'signed-in' ? `Bearer ${this.state.token}` : undefined;
  }

  /** Resolves `code-needed` when the account has two-factor sign-in on and no valid code came; throws on other failures. */
  async logIn(email: string, password: string, code?: string): Promise<LogInOutcome> {
    let payload: Tokens & { user: Viewer };
    try {
      ({ logIn: payload } = await graphqlRequest<{ logIn: Tokens & { user: Viewer } }>('PlaygroundLogIn', LOG_IN, {
        input: { email, password, ...(code ? { code } : {}) },
      }));
    } catch (error) {
      if (error instanceof GraphQLRequestError && error.flag('twoFactorRequired')) return { status: 'code-needed', message: error.message };
      throw error;
    }
    // signing in over a session (another account) forgets it; the bar only offers this while signed out
    this.generation += 1;
    this.apply(payload, payload.user);
    return { status: 'signed-in' };
  }

  /** Forgets the tokens at once, then asks the router to revoke the refresh token. */
  async logOut(): Promise<void> {
    // a renewal under way spends the refresh token we hold: revoke the one it brings instead
    await this.renewing;
    if (this.state.status !== 'signed-in') return;
    const authorization = `Bearer ${this.state.token}`;
    const refreshToken = this.refreshToken!;
    this.end();
    try {
      await graphqlRequest<{ logOut: boolean }>('PlaygroundLogOut', LOG_OUT, { refreshToken }, authorization);
    } catch (error) {
      this.end(`Signed out in this page, but the router did not confirm it: ${(error as Error).message}`);
    }
  }

  /** Exchanges the refresh token for new tokens; concurrent callers share one exchange. */
  renew(): Promise<void> {
    if (this.renewing) return this.renewing;
    const { state, refreshToken, generation } = this;
    if (state.status !== 'signed-in' || !refreshToken) return Promise.resolve();
    this.renewing = graphqlRequest<{ refreshSession: Tokens }>('PlaygroundRefreshSession', REFRESH_SESSION, { refreshToken })
      .then(({ refreshSession }) => {
        // signed out while this was on its way: the session it renewed must not outlive the sign-out
        if (generation !== this.generation) return this.revokeQuietly(refreshSession.refreshToken);
        this.apply(refreshSession, state.viewer);
      })
      .catch((error: unknown) => {
        if (generation !== this.generation) return;
        if (isFinal(error)) {
          this.end(`Your session ended (${(error as Error).message}): log in again.`);
        } else if (this.state.status === 'signed-in') {
          // the refresh token was not spent: keep it and try again
          this.state = { ...this.state, problem: (error as Error).message };
          this.schedule(Date.now() + RETRY_MS);
          this.emit();
        }
      })
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  private apply(tokens: Tokens, viewer: Viewer) {
    const times = tokenTimes(tokens.token);
    const expiresAt = times?.expiresAt ?? Date.now() + ASSUMED_LIFE_MS;
    const life = expiresAt - (times?.issuedAt ?? Date.now());
    const lead = this.refreshLeadMs ?? Math.min(DEFAULT_REFRESH_LEAD_MS, life / 4);
    // a refresh token works once: only the newest one is ever kept
    this.refreshToken = tokens.refreshToken;
    this.state = { status: 'signed-in', viewer, token: tokens.token, expiresAt, renewsAt: expiresAt - lead };
    this.schedule(expiresAt - lead);
    this.emit();
  }

  private schedule(at: number) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(), Math.max(at - Date.now(), MIN_DELAY_MS));
  }

  private end(notice?: string) {
    this.generation += 1;
    clearTimeout(this.timer);
    this.refreshToken = undefined;
    this.state = { status: 'signed-out', notice };
    this.emit();
  }

  private async revokeQuietly(refreshToken: string) {
    await graphqlRequest('PlaygroundLogOut', LOG_OUT, { refreshToken }).catch(() => undefined);
  }

  private emit() {
    for (const listener of this.listeners) listener();
  }
}

/** The lead time from the page's address (`?refreshLeadSeconds=`), to watch renewals happen without waiting minutes. */
export function refreshLeadFrom(search: string): number | undefined {
  const value = Number(new URLSearchParams(search).get('refreshLeadSeconds') ?? NaN);
  return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
}
