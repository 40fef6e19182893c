import { useState, useSyncExternalStore, type FormEvent } from 'react';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demo-data';
import type { Session, SessionState } from './session';
import './session-bar.css';

/** The bar above GraphiQL: logs in (with a two-factor code when the account asks for one), shows who is signed in, logs out. */
export function SessionBar({ session }: { session: Session }) {
  const state = useSyncExternalStore(session.subscribe, session.snapshot);
  return state.status === 'signed-in' ? <SignedIn session={session} state={state} /> : <LogInForm session={session} notice={state.notice} />;
}

const TWO_FACTOR_HINT = 'Two-factor sign-in is on for this account: enter the code from your authenticator app, or a recovery code.';

function LogInForm({ session, notice }: { session: Session; notice?: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>(notice);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setMessage(undefined);
    try {
      const outcome = await session.logIn(email.trim(), password, needsCode ? code.trim() : undefined);
      if (outcome.status === 'code-needed') {
        // the first answer only says a code is needed; later ones say the code was not accepted
        setMessage(needsCode ? `${outcome.message.replace(/\.$/, '')}. ${TWO_FACTOR_HINT}` : TWO_FACTOR_HINT);
        setNeedsCode(true);
        setCode('');
      }
      // once signed in, this form is gone
    } catch (error) {
      setMessage((error as Error).message);
    } finally {
      setBusy(false);
    }
  }

  function changeEmail(value: string) {
    setEmail(value);
    // a code belongs to one account
    setNeedsCode(false);
    setCode('');
  }

  return (
    <form className="session-bar" aria-label="Log in" onSubmit={(event) => void submit(event)}>
      <span className="session-bar-status">Not signed in: public operations run as they are.</span>
      <input
        name="email"
        type="email"
        aria-label="Email"
        placeholder="Email"
        autoComplete="username"
        required
        value={email}
        onChange={(event) => changeEmail(event.target.value)}
      />
      <input
        name="password"
        type="password"
        aria-label="Password"
        placeholder="Password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      {needsCode && (
        <input
          name="code"
          aria-label="Two-factor code"
          placeholder="Two-factor code"
          autoComplete="one-time-code"
          inputMode="numeric"
          required
          autoFocus
          value={code}
          onChange={(event) => setCode(event.target.value)}
        />
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Logging in…' : 'Log in'}
      </button>
      <span className="session-bar-demo">
        Demo accounts:
        {DEMO_ACCOUNTS.map((account) => (
          <button
            key={account.email}
            type="button"
            className="session-bar-link"
            title={`Fill in ${account.email} / ${DEMO_PASSWORD}`}
            onClick={() => {
              changeEmail(account.email);
              setPassword(DEMO_PASSWORD);
            }}
          >
            {account.label}
          </button>
        ))}
      </span>
      {message && (
        <p className="session-bar-message" role="alert">
          {message}
        </p>
      )}
    </form>
  );
}

function SignedIn({ session, state }: { session: Session; state: Extract<SessionState, { status: 'signed-in' }> }) {
  const [busy, setBusy] = useState(false);
  const { viewer, token, renewsAt, problem } = state;
  const renews = new Date(renewsAt).toLocaleTimeString();
  return (
    <div className="session-bar" role="region" aria-label="Session">
      <span className="session-bar-status">
        Signed in as <strong className="session-bar-user">{viewer.displayName}</strong> ({viewer.email})
        {viewer.twoFactorEnabled && <span className="session-bar-badge">two-factor on</span>}
      </span>
      <span className="session-bar-token">
        Requests carry <code>Authorization: Bearer …{token.slice(-10)}</code> (one set in the headers editor wins), renews at {renews}
      </span>
      {problem && (
        <span className="session-bar-problem" role="status">
          Renewing failed ({problem}); trying again
        </span>
      )}
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          void session.logOut();
        }}
      >
        Log out
      </button>
    </div>
  );
}
