import { useState } from 'preact/hooks';
import { api, messageOf, session } from '../api/client';
import { Field, PageTitle } from '../ui';

/** Signing in checks the admin key against the admin API, then keeps it in this tab's sessionStorage. */
export function SignIn(props: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const { data, error } = await api.GET('/admin/v1/clients', { headers: { authorization: `Bearer ${key.trim()}` } });
    setBusy(false);
    if (!data) {
      setError(messageOf(error));
      return;
    }
    session.signIn(key.trim());
    props.onSignedIn();
  };
  return (
    <main id="main" class="sign-in">
      <PageTitle>profile-edge console</PageTitle>
      <form onSubmit={submit} aria-label="Sign in">
        <Field
          label="Admin key"
          type="password"
          name="adminKey"
          value={key}
          onInput={setKey}
          error={error}
          required
          autocomplete="current-password"
          hint="Printed at first start and stored in data/first-start-secrets.env (ADMIN_KEY). Kept in this tab only."
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
