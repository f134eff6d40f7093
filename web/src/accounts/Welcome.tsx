import { useState } from 'preact/hooks';
import type { RiffClient, UserView } from '../../../src/client/index.js';
import { ErrorNote, formFields } from '../shared/ui.js';
import { Field, fieldProblems, formProblem } from './fields.js';
import './accounts.css';

type Mode = 'log-in' | 'sign-up';

export function Welcome({ client, onSignedIn }: { client: RiffClient; onSignedIn: (user: UserView, token: string) => void }) {
  const [mode, setMode] = useState<Mode>('sign-up');
  const [error, setError] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const switchTo = (next: Mode) => {
    setMode(next);
    setError('');
    setProblems({});
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const field = formFields(event);
    setBusy(true);
    setError('');
    setProblems({});
    try {
      const signed =
        mode === 'sign-up'
          ? await client.signUp({ email: field('email'), username: field('username'), password: field('password'), password_conf: field('password_conf') })
          : await client.logIn({ username: field('login'), password: field('password') });
      onSignedIn(signed, signed.token);
    } catch (caught) {
      const byField = fieldProblems(caught);
      // Logging in sends the login as `username`; its complaints belong to the one login field.
      if (mode === 'log-in' && (byField.username || byField.email)) byField.login = byField.username ?? byField.email!;
      setProblems(byField);
      setError(formProblem(caught, byField));
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
        <h2 class="form-title">{mode === 'sign-up' ? 'Create your account' : 'Welcome back'}</h2>
        {mode === 'sign-up' ? (
          <>
            <Field label="Email" name="email" problem={problems.email}>
              {(described) => <input type="email" autocomplete="email" required {...described} />}
            </Field>
            <Field label="Username" name="username" problem={problems.username} hint="3–32 letters, digits, _ . or -">
              {(described) => <input autocomplete="username" required {...described} />}
            </Field>
            <Field label="Password" name="password" problem={problems.password} hint="At least 8 characters">
              {(described) => <input type="password" autocomplete="new-password" required {...described} />}
            </Field>
            <Field label="Repeat password" name="password_conf" problem={problems.password_conf}>
              {(described) => <input type="password" autocomplete="new-password" required {...described} />}
            </Field>
          </>
        ) : (
          <>
            <Field label="Username or email" name="login" problem={problems.login}>
              {(described) => <input autocomplete="username" required {...described} />}
            </Field>
            <Field label="Password" name="password" problem={problems.password}>
              {(described) => <input type="password" autocomplete="current-password" required {...described} />}
            </Field>
          </>
        )}
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {mode === 'sign-up' ? 'Sign up' : 'Log in'}
        </button>
        <button type="button" class="link" onClick={() => switchTo(mode === 'sign-up' ? 'log-in' : 'sign-up')}>
          {mode === 'sign-up' ? 'I already have an account' : 'New here? Sign up'}
        </button>
      </form>
    </main>
  );
}
