import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, session } from '../api/client';
import type { PageProps } from '../app';
import { announce, ErrorNote, Field, formatTime, PageTitle } from '../ui';

interface ClientRow {
  client: string;
  requireAuth: boolean;
  profileLifetimeDays: number;
  imsOrgId: string | null;
}

const scope = { authorizationScope: 'profile_api' as const };

/** Clients and their profile tokens: create a client, issue a token (shown once, revoking the previous one), see the current one. */
export function ClientsPage({ onClientsChanged }: PageProps) {
  const [clients, setClients] = useState<ClientRow[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [lifetime, setLifetime] = useState('14');
  const [formError, setFormError] = useState<{ code?: string; lifetime?: string; form?: string }>({});

  const load = async () => {
    const { data, error } = await api.GET('/admin/v1/clients');
    if (!data) return setProblem(messageOf(error));
    setClients(data.clients);
  };
  useEffect(() => void load(), []);

  const create = async (event: Event) => {
    event.preventDefault();
    const { data, error } = await api.PUT('/admin/v1/clients/{client}', {
      params: { path: { client: code } },
      body: { profileLifetimeDays: Number(lifetime) },
    });
    if (!data) {
      const message = messageOf(error);
      setFormError(/lifetime/i.test(message) ? { lifetime: message } : /client/i.test(message) ? { code: message } : { form: message });
      return;
    }
    setFormError({});
    setCode('');
    announce(`Client ${data.client} saved`);
    await load();
    await onClientsChanged();
  };

  return (
    <section>
      <PageTitle>Clients and tokens</PageTitle>
      <ErrorNote message={problem} />
      <div class="cards">
        {clients.map((client) => (
          <ClientCard key={client.client} client={client} />
        ))}
      </div>
      <form class="card" onSubmit={create} aria-label="Create or update a client">
        <h2>Create or update a client</h2>
        <ErrorNote message={formError.form} />
        <Field
          label="Client code"
          name="clientCode"
          value={code}
          onInput={setCode}
          error={formError.code}
          required
          hint="1 to 64 of A-Z a-z 0-9 _ -"
        />
        <Field
          label="Profile lifetime (days)"
          name="lifetime"
          type="number"
          value={lifetime}
          onInput={setLifetime}
          error={formError.lifetime}
        />
        <button type="submit">Save client</button>
      </form>
    </section>
  );
}

function ClientCard({ client }: { client: ClientRow }) {
  const [current, setCurrent] = useState<string | null>(null);
  const [issued, setIssued] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const path = { client: client.client };

  const describe = async () => {
    const { data, error } = await api.GET('/admin/v1/clients/{client}/authentication/token', { params: { path, query: scope } });
    if (!data) return setCurrent(messageOf(error));
    setCurrent(`${data.tokenId}, issued ${formatTime(data.createdAt)}, expires in ${Math.round(data.expiresIn / 86400)} days`);
  };
  useEffect(() => void describe(), []);

  const issue = async () => {
    setConfirm(false);
    const { data, error } = await api.POST('/admin/v1/clients/{client}/authentication/token', { params: { path, query: scope } });
    if (!data) return setProblem(messageOf(error));
    setProblem(null);
    setIssued(data.accessToken);
    session.rememberProfileToken(client.client, data.accessToken);
    announce(`New profile token issued for ${client.client}; the previous one is revoked`);
    await describe();
  };

  const copy = async () => {
    if (!issued) return;
    try {
      await navigator.clipboard.writeText(issued);
      announce('Token copied');
    } catch {
      announce('Copying is not allowed here: select the token and copy it');
    }
  };

  return (
    <article class="card" aria-label={`Client ${client.client}`}>
      <h2>{client.client}</h2>
      <dl class="pairs">
        <div>
          <dt>requireAuth</dt>
          <dd>{String(client.requireAuth)}</dd>
        </div>
        <div>
          <dt>Profile lifetime</dt>
          <dd>{client.profileLifetimeDays} days</dd>
        </div>
        <div>
          <dt>imsOrgId</dt>
          <dd>{client.imsOrgId ?? '—'}</dd>
        </div>
        <div>
          <dt>Current token</dt>
          <dd>{current ?? '…'}</dd>
        </div>
      </dl>
      <ErrorNote message={problem} />
      {issued && (
        <section class="once" aria-label="New token">
          <p>
            <strong>Shown once:</strong> only a hash is stored. Copy it now.
          </p>
          <input readOnly value={issued} aria-label={`New profile token of ${client.client}`} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={copy}>
            Copy
          </button>
          <button type="button" class="link" onClick={() => setIssued(null)}>
            Hide
          </button>
        </section>
      )}
      {confirm ? (
        <fieldset class="confirm" aria-label="Confirm new token">
          <button type="button" class="danger" onClick={issue}>
            Issue and revoke the current token
          </button>
          <button type="button" onClick={() => setConfirm(false)}>
            Cancel
          </button>
        </fieldset>
      ) : (
        <button type="button" onClick={() => setConfirm(true)}>
          New token (revokes the current one)…
        </button>
      )}
    </article>
  );
}
