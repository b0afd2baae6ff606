import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, session } from './api/client';
import { ActivitiesPage } from './pages/activities';
import { BatchesPage } from './pages/batches';
import { ClientsPage } from './pages/clients';
import { ProfilesPage } from './pages/profiles';
import { ScriptsPage } from './pages/scripts';
import { SignIn } from './pages/sign-in';
import { ErrorNote, StatusLine } from './ui';

const PAGES = [
  { path: 'profiles', title: 'Profiles', Page: ProfilesPage },
  { path: 'batches', title: 'Batches', Page: BatchesPage },
  { path: 'activities', title: 'Activities', Page: ActivitiesPage },
  { path: 'scripts', title: 'Profile scripts', Page: ScriptsPage },
  { path: 'clients', title: 'Clients and tokens', Page: ClientsPage },
] as const;

const pathOfHash = () => location.hash.replace(/^#\/?/, '') || 'profiles';

export function App() {
  const [signedIn, setSignedIn] = useState(session.adminKey() !== null);
  const [path, setPath] = useState(pathOfHash());
  const [clients, setClients] = useState<string[]>([]);
  const [client, setClient] = useState(sessionStorage.getItem('profile-edge.client') ?? '');
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const onHash = () => setPath(pathOfHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const loadClients = async () => {
    const { data, error } = await api.GET('/admin/v1/clients');
    if (!data) {
      setProblem(messageOf(error));
      return;
    }
    setProblem(null);
    const codes = data.clients.map((c) => c.client);
    setClients(codes);
    if (!codes.includes(client) && codes[0]) chooseClient(codes[0]);
  };
  useEffect(() => {
    if (signedIn) void loadClients();
  }, [signedIn]);

  const chooseClient = (code: string) => {
    sessionStorage.setItem('profile-edge.client', code);
    setClient(code);
  };

  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">profile-edge</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={`#/${p.path}`} aria-current={p.path === page.path ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="client-picker">
          <label for="client-picker">Client</label>
          <select id="client-picker" value={client} onChange={(event) => chooseClient((event.currentTarget as HTMLSelectElement).value)}>
            {clients.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
          <button
            type="button"
            class="link"
            onClick={() => {
              session.signOut();
              setSignedIn(false);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <StatusLine />
      <main id="main">
        <ErrorNote message={problem} />
        {client && <page.Page key={`${page.path}:${client}`} client={client} onClientsChanged={loadClients} />}
      </main>
    </>
  );
}

export interface PageProps {
  client: string;
  onClientsChanged: () => Promise<void>;
}
