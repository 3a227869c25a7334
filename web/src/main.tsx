/**
 * The corten dashboard: sign in, then the views of the network, live through the event
 * stream. Views: Overview, Tasks (search, bulk actions), a task's detail, Jobs, Operators,
 * Economics and Events. Each view reads the API with the signed-in credential only.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, signIn, signOut, storedCredential, type Session } from './api.js';
import { useLiveState } from './hooks.js';
import { feed } from './live.js';
import { useRoute } from './router.js';
import './style.css';
import { EconomicsView } from './views/economics.js';
import { EventsView } from './views/events.js';
import { JobsView } from './views/jobs.js';
import { OperatorsView } from './views/operators.js';
import { OverviewView } from './views/overview.js';
import { TaskDetailView } from './views/task-detail.js';
import { TasksView } from './views/tasks.js';

/** The navigation, in order. Jobs shows once the coordinator runs workflows. */
const VIEWS: { id: string; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'tasks', label: 'Tasks' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'operators', label: 'Operators' },
  { id: 'economics', label: 'Economics' },
  { id: 'events', label: 'Events' },
];

function SignIn(props: { onSession: (session: Session) => void; error?: string }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(props.error ?? '');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      props.onSession(await signIn(value));
    } catch (failure) {
      setError(failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="sign-in">
      <h1>corten</h1>
      <form onSubmit={submit}>
        <label for="credential">API key or admin token</label>
        <input
          id="credential"
          name="credential"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          placeholder="ck_… or the admin token"
        />
        <button type="submit" disabled={busy || value.trim() === ''}>
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p class="hint">
          An account's key shows that account's work; the admin token shows everything. It is kept in this tab only.
        </p>
      </form>
    </div>
  );
}

function Shell(props: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const live = useLiveState();
  useEffect(() => {
    feed.start();
    return () => feed.stop();
  }, []);
  let view;
  switch (route.view) {
    case 'tasks':
      view = route.arg ? (
        <TaskDetailView id={route.arg} />
      ) : (
        <TasksView session={props.session} params={route.params} />
      );
      break;
    case 'jobs':
      view = <JobsView />;
      break;
    case 'operators':
      view = <OperatorsView />;
      break;
    case 'economics':
      view = <EconomicsView session={props.session} />;
      break;
    case 'events':
      view = <EventsView params={route.params} />;
      break;
    default:
      view = <OverviewView />;
  }
  return (
    <div class="shell">
      <header>
        <span class="brand">corten</span>
        <nav>
          {VIEWS.map((v) => (
            <a href={`#/${v.id}`} class={route.view === v.id ? 'active' : ''} data-view={v.id}>
              {v.label}
            </a>
          ))}
        </nav>
        <span class={`live ${live}`} data-testid="live-state">
          {live === 'live' ? '● live' : live === 'connecting' ? '○ connecting' : '○ reconnecting'}
        </span>
        <span class="who" data-testid="who">
          {props.session.kind === 'admin' ? 'admin (everything)' : `account ${props.session.name}`}
        </span>
        <button class="link" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <main>{view}</main>
    </div>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(storedCredential() !== null);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const stored = storedCredential();
    if (!stored) return;
    signIn(stored)
      .then(setSession, (failure: unknown) => {
        signOut();
        setError(failure instanceof ApiError ? failure.message : String(failure));
      })
      .finally(() => setRestoring(false));
  }, []);
  if (restoring) return <p class="hint">Signing in…</p>;
  if (!session) return <SignIn onSession={setSession} error={error} />;
  return (
    <Shell
      session={session}
      onSignOut={() => {
        signOut();
        feed.stop();
        location.hash = '';
        location.reload();
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
