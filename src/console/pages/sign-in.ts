import { useState } from 'preact/hooks';
import { signIn, type Session } from '../api.js';
import { html } from '../html.js';

export function SignIn(props: { onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    setBusy(true);
    try {
      props.onSignedIn(await signIn(String(form.get('email')), String(form.get('password'))));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="signin">
    <h1>Sign in to the console</h1>
    <form onSubmit=${submit} aria-describedby=${error ? 'signin-error' : undefined}>
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required autofocus />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      ${error && html`<p id="signin-error" class="error" role="alert">${error}</p>`}
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}
