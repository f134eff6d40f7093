import { useState } from 'preact/hooks';
import type { RiffClient, UserView } from '../../../src/client/index.js';
import { ErrorNote, formFields, problem } from '../shared/ui.js';

export function Welcome({ client, onSignedIn }: { client: RiffClient; onSignedIn: (user: UserView, token: string) => void }) {
  const [mode, setMode] = useState<'log-in' | 'sign-up'>('sign-up');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const field = formFields(event);
    setBusy(true);
    setError('');
    try {
      const signed =
        mode === 'sign-up'
          ? await client.signUp({ email: field('email'), username: field('username'), password: field('password'), password_conf: field('password_conf') })
          : await client.logIn({ username: field('login'), password: field('password') });
      onSignedIn(signed, signed.token);
    } catch (caught) {
      setError(problem(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="welcome">
      <h1 class="brand">
        Riff<span aria-hidden="true"> ♪</span>
      </h1>
      <p class="tagline">Chat, jam and meet up with musicians near you.</p>
      <form class="card" onSubmit={submit} aria-label={mode === 'sign-up' ? 'Sign up' : 'Log in'}>
        {mode === 'sign-up' ? (
          <>
            <label>
              Email <input name="email" type="email" autocomplete="email" required />
            </label>
            <label>
              Username <input name="username" autocomplete="username" required />
            </label>
            <label>
              Password <input name="password" type="password" autocomplete="new-password" required />
            </label>
            <label>
              Repeat password <input name="password_conf" type="password" autocomplete="new-password" required />
            </label>
          </>
        ) : (
          <>
            <label>
              Username or email <input name="login" autocomplete="username" required />
            </label>
            <label>
              Password <input name="password" type="password" autocomplete="current-password" required />
            </label>
          </>
        )}
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {mode === 'sign-up' ? 'Sign up' : 'Log in'}
        </button>
        <button type="button" class="link" onClick={() => setMode(mode === 'sign-up' ? 'log-in' : 'sign-up')}>
          {mode === 'sign-up' ? 'I already have an account' : 'New here? Sign up'}
        </button>
      </form>
    </main>
  );
}
