import { useState } from 'preact/hooks';
import { api, download, messageOf } from '../api/client';
import type { PageProps } from '../app';
import { announce, ErrorNote, Field, formatTime, PageTitle, Select } from '../ui';

type Kind = 'tntId' | 'thirdPartyId' | 'marketingCloudVisitorId';
const KINDS: readonly Kind[] = ['tntId', 'thirdPartyId', 'marketingCloudVisitorId'];
// System attributes the Delivery API keeps per visitor session (docs/delivery.md#sessions-and-system-attributes).
const SESSION_ATTRIBUTES = ['sessionCount', 'firstSessionStart', 'lastSessionStart'];

interface Profile {
  modifiedAt: string;
  profileAttributes: Record<string, { value: string; modifiedAt: string }>;
  ids: Record<string, string[]>;
}

const sessionValue = (name: string, value: string) =>
  name === 'sessionCount' ? value : Number.isFinite(Number(value)) ? new Date(Number(value)).toLocaleString() : value;

/** Find a profile by any of its ids; read its attributes, ids and sessions; remove an attribute; export; delete. */
export function ProfilesPage({ client }: PageProps) {
  const [kind, setKind] = useState<Kind>('thirdPartyId');
  const [id, setId] = useState('');
  const [profile, setProfile] = useState<Profile | null>(null);
  const [lookupError, setLookupError] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const params = { path: { client, kind, id } };

  const find = async (event?: Event) => {
    event?.preventDefault();
    setActionError(null);
    setConfirmDelete(false);
    const { data, error } = await api.GET('/admin/v1/clients/{client}/profiles/{kind}/{id}', { params });
    if (!data) {
      setProfile(null);
      setLookupError(messageOf(error));
      return;
    }
    setLookupError(undefined);
    setProfile(data);
    announce(`Profile found: ${Object.keys(data.profileAttributes).length} attributes`);
  };

  const remove = async (name: string) => {
    const { data, error } = await api.DELETE('/admin/v1/clients/{client}/profiles/{kind}/{id}/attributes/{name}', {
      params: { path: { ...params.path, name } },
    });
    if (!data || !profile) return setActionError(messageOf(error));
    setProfile({ ...profile, modifiedAt: data.modifiedAt, profileAttributes: data.profileAttributes });
    announce(`Attribute ${name} removed`);
  };

  const exportPerson = async () => {
    const { data, error } = await api.POST('/admin/v1/clients/{client}/privacy/export', {
      params: { path: { client } },
      body: { [kind]: id },
    });
    if (!data) return setActionError(messageOf(error));
    download(`profile-${client}-${kind}-${id}.json`, JSON.stringify(data, null, 2));
    announce('Export downloaded');
  };

  const deleteProfile = async () => {
    const { data, error } = await api.DELETE('/admin/v1/clients/{client}/profiles/{kind}/{id}', { params });
    if (!data) return setActionError(messageOf(error));
    setProfile(null);
    setConfirmDelete(false);
    announce(`Profile deleted with ${data.attributeCount} attributes`);
  };

  const attributes = profile ? Object.entries(profile.profileAttributes).sort(([a], [b]) => a.localeCompare(b)) : [];
  const sessions = attributes.filter(([name]) => SESSION_ATTRIBUTES.includes(name));
  return (
    <section aria-labelledby="profiles-title">
      <PageTitle>Profiles</PageTitle>
      <form class="inline" onSubmit={find} aria-label="Find a profile">
        <Select label="Id type" value={kind} options={KINDS} onChange={(value) => setKind(value as Kind)} />
        <Field label="Id" name="profileId" value={id} onInput={setId} error={lookupError} required />
        <button type="submit">Find</button>
      </form>
      {profile && (
        <article class="card" aria-label="Profile">
          <h2>
            {kind} {id}
          </h2>
          <p>Last modified {formatTime(profile.modifiedAt)}</p>
          <h3>Ids</h3>
          <dl class="pairs">
            {Object.entries(profile.ids).map(([idKind, values]) => (
              <div key={idKind}>
                <dt>{idKind}</dt>
                <dd>{values.join(', ')}</dd>
              </div>
            ))}
          </dl>
          <h3>Sessions</h3>
          {sessions.length === 0 ? (
            <p>No visit through the Delivery API yet.</p>
          ) : (
            <dl class="pairs">
              {sessions.map(([name, attribute]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>{sessionValue(name, attribute.value)}</dd>
                </div>
              ))}
            </dl>
          )}
          <h3>Attributes</h3>
          <ErrorNote message={actionError} />
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Attributes of the profile</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Value</th>
                  <th scope="col">Modified</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {attributes.map(([name, attribute]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td class="value">{attribute.value}</td>
                    <td>{formatTime(attribute.modifiedAt)}</td>
                    <td>
                      <button type="button" class="small" onClick={() => remove(name)} aria-label={`Remove attribute ${name}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="actions">
            <button type="button" onClick={exportPerson}>
              Export (JSON)
            </button>
            {confirmDelete ? (
              <fieldset class="confirm" aria-label="Confirm deletion">
                <button type="button" class="danger" onClick={deleteProfile}>
                  Delete the profile and every id
                </button>
                <button type="button" onClick={() => setConfirmDelete(false)}>
                  Cancel
                </button>
              </fieldset>
            ) : (
              <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
                Delete…
              </button>
            )}
          </div>
        </article>
      )}
    </section>
  );
}
