import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api/client';
import type { PageProps } from '../app';
import { announce, ErrorNote, Field, formatTime, PageTitle, Select } from '../ui';

interface Script {
  name: string;
  attribute: string;
  source: string;
  description: string | null;
  enabled: boolean;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  disabledMessage: string | null;
  disabledAt: string | null;
  version: number;
}

type Kind = 'tntId' | 'thirdPartyId' | 'marketingCloudVisitorId';

/** `name=value` lines → an object (the sample request's profile parameters). */
export function parametersOf(text: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) parameters[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return parameters;
}

/** Profile scripts: the list with status and disabled reason, an editor, a trial run against a visitor. */
export function ScriptsPage({ client }: PageProps) {
  const [scripts, setScripts] = useState<Script[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [source, setSource] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<{ name?: string; source?: string; form?: string }>({});
  const path = { client };

  const load = async () => {
    const { data, error } = await api.GET('/admin/v1/clients/{client}/profile-scripts', { params: { path } });
    if (!data) return setProblem(messageOf(error));
    setProblem(null);
    setScripts(data.scripts);
  };
  useEffect(() => void load(), []);

  const edit = (script: Script) => {
    setName(script.name);
    setSource(script.source);
    setDescription(script.description ?? '');
    setErrors({});
    document.getElementById('script-editor')?.scrollIntoView();
  };

  const save = async (event: Event) => {
    event.preventDefault();
    const { data, error } = await api.PUT('/admin/v1/clients/{client}/profile-scripts/{name}', {
      params: { path: { client, name } },
      body: { source, enabled: true, description: description || null },
    });
    if (!data) {
      const message = messageOf(error);
      setErrors(/name/i.test(message) ? { name: message } : /source|compile/i.test(message) ? { source: message } : { form: message });
      return;
    }
    setErrors({});
    announce(`Script ${data.name} saved (version ${data.version})`);
    await load();
  };

  return (
    <section>
      <PageTitle>Profile scripts</PageTitle>
      <div class="row">
        <button type="button" onClick={() => void load().then(() => announce('Scripts refreshed'))}>
          Refresh
        </button>
      </div>
      <ErrorNote message={problem} />
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Profile scripts of {client}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Disabled reason</th>
              <th scope="col">Version</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {scripts.map((script) => (
              <tr key={script.name} data-script={script.name}>
                <th scope="row">{script.attribute}</th>
                <td>
                  <span class={`badge ${script.status}`}>{script.status}</span>
                </td>
                <td>
                  {script.disabledReason
                    ? `${script.disabledReason}: ${script.disabledMessage ?? ''} (${formatTime(script.disabledAt)})`
                    : '—'}
                </td>
                <td>{script.version}</td>
                <td>
                  <button type="button" class="small" onClick={() => edit(script)} aria-label={`Edit ${script.name}`}>
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form class="card" id="script-editor" onSubmit={save} aria-label="Script editor">
        <h2>Editor</h2>
        <ErrorNote message={errors.form} />
        <Field label="Name" name="scriptName" value={name} onInput={setName} error={errors.name} required hint="Its value is user.<name>" />
        <Field
          label="Source"
          name="source"
          value={source}
          onInput={setSource}
          error={errors.source}
          multiline
          rows={10}
          hint="A function body; its return value becomes user.<name>. profile.get('x'), mbox.name, page.url…"
        />
        <Field label="Description" name="description" value={description} onInput={setDescription} />
        <button type="submit">Save and enable</button>
      </form>
      {name && <TrialRun client={client} name={name} source={source} />}
    </section>
  );
}

function TrialRun(props: { client: string; name: string; source: string }) {
  const [kind, setKind] = useState<Kind>('tntId');
  const [id, setId] = useState('');
  const [mbox, setMbox] = useState('');
  const [parameters, setParameters] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const run = async (event: Event) => {
    event.preventDefault();
    const { data, error } = await api.POST('/admin/v1/clients/{client}/profile-scripts/{name}/try', {
      params: { path: { client: props.client, name: props.name } },
      body: {
        source: props.source,
        ...(id ? { [kind]: id } : {}),
        ...(mbox ? { mbox: { name: mbox } } : {}),
        profileParameters: parametersOf(parameters),
      },
    });
    if (!data) {
      setResult(null);
      return setProblem(messageOf(error));
    }
    setProblem(null);
    const text = data.error
      ? `The run failed (${data.error.reason}): ${data.error.message}`
      : `${data.attribute} = ${data.result ?? 'null'}; would write: ${data.wouldWrite ?? 'nothing'}`;
    setResult(text);
    announce(text);
  };

  return (
    <form class="card" onSubmit={run} aria-label="Trial run">
      <h2>Trial run of the editor's source</h2>
      <p class="hint">Runs against the visitor's stored profile and a sample request; stores nothing.</p>
      <div class="inline">
        <Select
          label="Visitor id type"
          value={kind}
          options={['tntId', 'thirdPartyId', 'marketingCloudVisitorId']}
          onChange={(v) => setKind(v as Kind)}
        />
        <Field label="Visitor id" name="trialVisitor" value={id} onInput={setId} hint="Empty: a new visitor" />
        <Field label="mbox" name="trialMbox" value={mbox} onInput={setMbox} hint="Empty: a page load" />
      </div>
      <Field
        label="Profile parameters"
        name="trialParameters"
        value={parameters}
        onInput={setParameters}
        multiline
        rows={3}
        hint="name=value, one a line"
      />
      <button type="submit">Run</button>
      <ErrorNote message={problem} />
      {result && (
        <output class="result" aria-label="Trial result">
          {result}
        </output>
      )}
    </form>
  );
}
