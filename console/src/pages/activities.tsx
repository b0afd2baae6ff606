import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api/client';
import type { PageProps } from '../app';
import { announce, ErrorNote, Field, PageTitle, Select } from '../ui';
import { ReportChart } from './report-chart';
import { parametersOf } from './scripts';

const STATES = ['draft', 'live', 'paused', 'archived'] as const;

interface Offer {
  type: string;
  content: unknown;
}
interface Experience {
  id: string;
  name?: string;
  allocation?: number;
  audience?: unknown;
  offers: Record<string, Offer>;
}
interface Activity {
  id: string;
  version: number;
  name: string;
  type: string;
  state: string;
  priority: number;
  experiences: Experience[];
  metrics: Array<{ name: string; type: 'click'; location: string }>;
}

/** The editor's rows: one location's offer per experience (other locations of an activity are kept as they are). */
interface ExperienceRow {
  id: string;
  name: string;
  allocation: string;
  audience: string;
  offerType: string;
  content: string;
}

interface Draft {
  id: string;
  name: string;
  type: string;
  state: string;
  priority: string;
  location: string;
  experiences: ExperienceRow[];
  metricName: string;
  metricLocation: string;
}

const emptyDraft = (): Draft => ({
  id: '',
  name: '',
  type: 'ab',
  state: 'live',
  priority: '0',
  location: 'hero',
  experiences: [
    { id: 'A', name: 'Control', allocation: '50', audience: '', offerType: 'html', content: '' },
    { id: 'B', name: '', allocation: '50', audience: '', offerType: 'html', content: '' },
  ],
  metricName: '',
  metricLocation: '',
});

function draftOf(activity: Activity): Draft {
  const location = Object.keys(activity.experiences[0]?.offers ?? {})[0] ?? 'hero';
  return {
    id: activity.id,
    name: activity.name,
    type: activity.type,
    state: activity.state,
    priority: String(activity.priority),
    location,
    experiences: activity.experiences.map((experience) => {
      const offer = experience.offers[location];
      return {
        id: experience.id,
        name: experience.name ?? '',
        allocation: experience.allocation === undefined ? '' : String(experience.allocation),
        audience: experience.audience === undefined ? '' : JSON.stringify(experience.audience),
        offerType: offer?.type ?? 'html',
        content: offer === undefined ? '' : typeof offer.content === 'string' ? offer.content : JSON.stringify(offer.content),
      };
    }),
    metricName: activity.metrics[0]?.name ?? '',
    metricLocation: activity.metrics[0]?.location ?? '',
  };
}

/** Where an API message belongs: `experiences[2].allocation must …` → experience 2; `priority must …` → priority. */
export function fieldOfMessage(message: string): string {
  const experience = /^experiences\[(\d+)\]/.exec(message);
  if (experience) return `experience-${experience[1]}`;
  const first = /^([A-Za-z]+)/.exec(message)?.[1] ?? '';
  if (['name', 'type', 'state', 'priority', 'experiences'].includes(first)) return first;
  if (first === 'metrics') return 'metric';
  if (/^audience\b/.test(message)) return 'form';
  return 'form';
}

/** Activities: the list by state, an editor with the API's messages at their fields, a preview of a visitor, the report chart. */
export function ActivitiesPage({ client }: PageProps) {
  const [activities, setActivities] = useState<Activity[]>([]);
  const [filter, setFilter] = useState('all');
  const [problem, setProblem] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [editing, setEditing] = useState<Activity | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [selected, setSelected] = useState<Activity | null>(null);
  const path = { client };

  const load = async () => {
    const { data, error } = await api.GET('/admin/v1/clients/{client}/activities', { params: { path } });
    if (!data) return setProblem(messageOf(error));
    setProblem(null);
    setActivities(data.activities as Activity[]);
  };
  useEffect(() => void load(), []);

  const set = (patch: Partial<Draft>) => setDraft((current) => (current ? { ...current, ...patch } : current));
  const setRow = (index: number, patch: Partial<ExperienceRow>) =>
    setDraft((current) =>
      current ? { ...current, experiences: current.experiences.map((row, i) => (i === index ? { ...row, ...patch } : row)) } : current,
    );

  const bodyOf = (form: Draft): { body?: object; problems?: Record<string, string> } => {
    const problems: Record<string, string> = {};
    const experiences = form.experiences.map((row, i) => {
      const previous = editing?.experiences.find((e) => e.id === row.id);
      let content: unknown = row.content;
      if (row.offerType === 'json') {
        try {
          content = JSON.parse(row.content);
        } catch {
          problems[`experience-${i}`] = 'the offer content of a json offer must be JSON';
        }
      }
      let audience: unknown;
      if (row.audience.trim()) {
        try {
          audience = JSON.parse(row.audience);
        } catch {
          problems[`experience-${i}`] = 'the audience must be JsonLogic, written as JSON';
        }
      }
      return {
        id: row.id,
        ...(row.name ? { name: row.name } : {}),
        ...(row.allocation.trim() ? { allocation: Number(row.allocation) } : {}),
        ...(audience !== undefined ? { audience } : {}),
        offers: { ...(previous?.offers ?? {}), [form.location]: { type: row.offerType, content } },
      };
    });
    if (Object.keys(problems).length > 0) return { problems };
    return {
      // An edit keeps what the editor does not show (dates, the activity's audience); the API ignores id, version and times sent back.
      body: {
        ...(editing ?? {}),
        name: form.name,
        type: form.type,
        state: form.state,
        priority: Number(form.priority),
        experiences,
        metrics: form.metricName ? [{ name: form.metricName, type: 'click', location: form.metricLocation }] : [],
      },
    };
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!draft) return;
    const { body, problems } = bodyOf(draft);
    if (!body) return setErrors(problems ?? {});
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(draft.id)) return setErrors({ id: 'the id is 1 to 64 letters, digits, _ or -' });
    const { data, error } = await api.PUT('/admin/v1/clients/{client}/activities/{activityId}', {
      params: { path: { client, activityId: draft.id }, header: editing ? { 'if-match': `"${editing.version}"` } : {} },
      body,
    });
    if (!data) {
      const message = messageOf(error);
      setErrors({ [fieldOfMessage(message)]: message });
      announce(`Not saved: ${message}`);
      return;
    }
    setErrors({});
    announce(`Activity ${data.id} saved (version ${data.version})`);
    setDraft(null);
    setEditing(null);
    await load();
    setSelected(data as Activity);
  };

  const shown = activities.filter((activity) => filter === 'all' || activity.state === filter);
  return (
    <section>
      <PageTitle>Activities</PageTitle>
      <div class="row">
        <Select label="State" value={filter} options={['all', ...STATES]} onChange={setFilter} />
        <button
          type="button"
          onClick={() => {
            setEditing(null);
            setErrors({});
            setDraft(emptyDraft());
          }}
        >
          New activity
        </button>
      </div>
      <ErrorNote message={problem} />
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Activities of {client}</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">State</th>
              <th scope="col">Priority</th>
              <th scope="col">Version</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((activity) => (
              <tr key={activity.id}>
                <th scope="row">{activity.id}</th>
                <td>{activity.name}</td>
                <td>{activity.type}</td>
                <td>
                  <span class={`badge ${activity.state}`}>{activity.state}</span>
                </td>
                <td>{activity.priority}</td>
                <td>{activity.version}</td>
                <td>
                  <button
                    type="button"
                    class="small"
                    aria-label={`Edit ${activity.id}`}
                    onClick={() => {
                      setEditing(activity);
                      setErrors({});
                      setDraft(draftOf(activity));
                    }}
                  >
                    Edit
                  </button>{' '}
                  <button
                    type="button"
                    class="small"
                    aria-label={`Preview and report of ${activity.id}`}
                    onClick={() => setSelected(activity)}
                  >
                    Preview and report
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length === 0 && <p>No activity{filter === 'all' ? '' : ` in state ${filter}`}.</p>}
      {draft && (
        <form class="card" onSubmit={save} aria-label="Activity editor">
          <h2>{editing ? `Edit ${editing.id} (version ${editing.version})` : 'New activity'}</h2>
          <ErrorNote message={errors.form} />
          <div class="inline">
            <Field label="Activity id" name="activityId" value={draft.id} onInput={(id) => set({ id })} error={errors.id} required />
            <Field label="Activity name" name="activityName" value={draft.name} onInput={(name) => set({ name })} error={errors.name} />
            <Select label="Type" value={draft.type} options={['ab', 'xt']} onChange={(type) => set({ type })} />
            <Select label="Activity state" value={draft.state} options={STATES} onChange={(state) => set({ state })} />
            <Field
              label="Priority"
              name="priority"
              type="number"
              value={draft.priority}
              onInput={(priority) => set({ priority })}
              error={errors.priority}
            />
            <Field
              label="Location"
              name="location"
              value={draft.location}
              onInput={(location) => set({ location })}
              hint="mbox name, or target-global-mbox"
            />
          </div>
          <h3>Experiences</h3>
          <ErrorNote message={errors.experiences} />
          {draft.experiences.map((row, i) => (
            <fieldset key={i} class="experience" aria-label={`Experience ${i + 1}`}>
              <div class="inline">
                <Field label={`Experience ${i + 1} id`} value={row.id} onInput={(id) => setRow(i, { id })} />
                <Field label={`Experience ${i + 1} name`} value={row.name} onInput={(name) => setRow(i, { name })} />
                {draft.type === 'ab' ? (
                  <Field
                    label={`Experience ${i + 1} allocation (%)`}
                    value={row.allocation}
                    onInput={(allocation) => setRow(i, { allocation })}
                  />
                ) : (
                  <Field
                    label={`Experience ${i + 1} audience (JsonLogic)`}
                    value={row.audience}
                    onInput={(audience) => setRow(i, { audience })}
                  />
                )}
                <Select
                  label={`Experience ${i + 1} offer type`}
                  value={row.offerType}
                  options={['html', 'json', 'redirect']}
                  onChange={(offerType) => setRow(i, { offerType })}
                />
              </div>
              <Field
                label={`Experience ${i + 1} content`}
                value={row.content}
                onInput={(content) => setRow(i, { content })}
                error={errors[`experience-${i}`]}
                multiline
                rows={2}
              />
            </fieldset>
          ))}
          <button
            type="button"
            onClick={() =>
              set({
                experiences: [
                  ...draft.experiences,
                  {
                    id: String.fromCharCode(65 + draft.experiences.length),
                    name: '',
                    allocation: '',
                    audience: '',
                    offerType: 'html',
                    content: '',
                  },
                ],
              })
            }
          >
            Add an experience
          </button>
          <h3>Metric</h3>
          <div class="inline">
            <Field
              label="Metric name"
              value={draft.metricName}
              onInput={(metricName) => set({ metricName })}
              error={errors.metric}
              hint="A click metric; empty: none"
            />
            <Field label="Metric location" value={draft.metricLocation} onInput={(metricLocation) => set({ metricLocation })} />
          </div>
          <button type="submit">Save activity</button>
          <button type="button" onClick={() => setDraft(null)}>
            Cancel
          </button>
        </form>
      )}
      {selected && <PreviewAndReport key={selected.id} client={client} activity={selected} />}
    </section>
  );
}

interface PreviewedLocation {
  location: string;
  activityId: string | null;
  experienceId: string | null;
  offer: { type: string; content: unknown } | null;
  reason: string;
}

function PreviewAndReport(props: { client: string; activity: Activity }) {
  const { client, activity } = props;
  const locations = [...new Set(activity.experiences.flatMap((experience) => Object.keys(experience.offers)))];
  const [kind, setKind] = useState('tntId');
  const [visitor, setVisitor] = useState('');
  const [where, setWhere] = useState(locations.join(', '));
  const [parameters, setParameters] = useState('');
  const [previewed, setPreviewed] = useState<PreviewedLocation[] | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [report, setReport] = useState<Awaited<ReturnType<typeof loadReport>> | null>(null);
  const [reportError, setReportError] = useState<string | null>(null);

  async function loadReport() {
    const { data, error } = await api.GET('/admin/v1/clients/{client}/activities/{activityId}/report', {
      params: { path: { client, activityId: activity.id } },
    });
    if (!data) throw new Error(messageOf(error));
    return data;
  }
  const refreshReport = () =>
    loadReport().then(
      (data) => {
        setReport(data);
        setReportError(null);
      },
      (error: Error) => setReportError(error.message),
    );
  useEffect(() => void refreshReport(), []);

  const preview = async (event: Event) => {
    event.preventDefault();
    const { data, error } = await api.POST('/admin/v1/clients/{client}/activities/preview', {
      params: { path: { client } },
      body: {
        ...(visitor ? { [kind]: visitor } : {}),
        locations: where
          .split(',')
          .map((location) => location.trim())
          .filter(Boolean),
        profileParameters: parametersOf(parameters),
      },
    });
    if (!data) {
      setPreviewed(null);
      return setPreviewError(messageOf(error));
    }
    setPreviewError(null);
    setPreviewed(data.locations);
    announce(data.locations.map((l) => `${l.location}: ${l.reason}`).join('. '));
  };

  const metrics = report ? Object.keys(report.experiences[0]?.metrics ?? {}) : [];
  return (
    <div class="pair">
      <form class="card" onSubmit={preview} aria-label={`Preview of ${activity.id}`}>
        <h2>Preview: what would this visitor see?</h2>
        <p class="hint">Decided from the visitor's stored profile and these parameters, as Delivery would; nothing is counted or stored.</p>
        <div class="inline">
          <Select label="Visitor id type" value={kind} options={['tntId', 'thirdPartyId', 'marketingCloudVisitorId']} onChange={setKind} />
          <Field label="Visitor id" name="previewVisitor" value={visitor} onInput={setVisitor} hint="Empty: a new visitor" />
        </div>
        <Field label="Locations" name="previewLocations" value={where} onInput={setWhere} hint="Comma-separated" />
        <Field
          label="Profile parameters"
          name="previewParameters"
          value={parameters}
          onInput={setParameters}
          multiline
          rows={2}
          hint="name=value, one a line"
        />
        <button type="submit">Preview</button>
        <ErrorNote message={previewError} />
        {previewed?.map((location) => (
          <div key={location.location} class="result" data-location={location.location}>
            <strong>{location.location}</strong>:{' '}
            {location.experienceId ? `${location.activityId} / experience ${location.experienceId}` : 'default content'}
            {location.offer && (
              <div>
                offer ({location.offer.type}):{' '}
                <code>{typeof location.offer.content === 'string' ? location.offer.content : JSON.stringify(location.offer.content)}</code>
              </div>
            )}
            <div>Why: {location.reason}</div>
          </div>
        ))}
      </form>
      <article class="card" aria-label={`Report of ${activity.id}`}>
        <h2>Report</h2>
        <button type="button" onClick={() => void refreshReport().then(() => announce('Report refreshed'))}>
          Refresh report
        </button>
        <ErrorNote message={reportError} />
        {report && (
          <>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Experience</th>
                    <th scope="col">Visitors</th>
                    <th scope="col">Impressions</th>
                    {metrics.map((metric) => (
                      <th key={metric} scope="col">
                        {metric}: conversions
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {report.experiences.map((experience) => (
                    <tr key={experience.id} data-experience={experience.id}>
                      <th scope="row">
                        {experience.id}
                        {experience.control ? ' (control)' : ''}
                      </th>
                      <td>{experience.visitors}</td>
                      <td>{experience.impressions}</td>
                      {metrics.map((metric) => (
                        <td key={metric}>{experience.metrics[metric]?.conversions ?? 0}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {metrics.map((metric) => (
              <ReportChart
                key={metric}
                metric={metric}
                rows={report.experiences.map((experience) => {
                  const figures = experience.metrics[metric]!;
                  return {
                    id: experience.id,
                    control: experience.control,
                    visitors: experience.visitors,
                    rate: figures.rate,
                    lift: figures.lift,
                    interval: figures.interval,
                    significant: figures.significant,
                  };
                })}
              />
            ))}
            <p class="hint">{report.method}</p>
          </>
        )}
      </article>
    </div>
  );
}
