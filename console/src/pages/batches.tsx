import { useEffect, useRef, useState } from 'preact/hooks';
import { api, download, messageOf, type Paths, session } from '../api/client';
import type { PageProps } from '../app';
import { announce, ErrorNote, Field, PageTitle, Select } from '../ui';

interface Status {
  batchId: string;
  status: string;
  batchSize: number;
  consumedCount: number;
  successfulUpdates: number;
  profilesNotFound: number;
  failedUpdates: number;
}

interface FailedRow {
  line: number;
  key: string;
  reason: string;
}

/** The text of each element of an m2 XML answer, by name. */
function xmlFields(xml: string): Record<string, string> {
  const document = new DOMParser().parseFromString(xml, 'application/xml');
  const fields: Record<string, string> = {};
  for (const element of Array.from(document.documentElement.children)) fields[element.tagName] = element.textContent ?? '';
  return fields;
}

// The bulk API's paths, checked against the typed API (the upload itself goes through XMLHttpRequest for its progress events).
const UPLOAD_PATHS = {
  v2: '/m2/{client}/v2/profile/batchUpdate',
  v1: '/m2/{client}/profile/batchUpdate',
} as const satisfies Record<string, keyof Paths>;

/** Upload a CRM file with a progress bar, watch the batch until it is applied, read and download its failed rows. */
export function BatchesPage({ client }: PageProps) {
  const [token, setToken] = useState(session.profileToken(client));
  const [version, setVersion] = useState<'v2' | 'v1'>('v2');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [tokenError, setTokenError] = useState<string | undefined>();
  const [status, setStatus] = useState<Status | null>(null);
  const [failed, setFailed] = useState<FailedRow[] | null>(null);
  const poll = useRef<number | undefined>(undefined);
  useEffect(() => () => clearTimeout(poll.current), []);
  const auth = { authorization: `Bearer ${token.trim()}` };

  const upload = (event: Event) => {
    event.preventDefault();
    if (!file) return setUploadError('Choose a file to upload');
    setUploadError(null);
    setTokenError(undefined);
    setStatus(null);
    setFailed(null);
    setProgress(0);
    const request = new XMLHttpRequest();
    request.open('POST', UPLOAD_PATHS[version].replace('{client}', encodeURIComponent(client)));
    request.setRequestHeader('authorization', auth.authorization);
    request.upload.onprogress = (progressEvent) => {
      if (progressEvent.lengthComputable) setProgress(progressEvent.loaded / progressEvent.total);
    };
    request.onerror = () => setUploadError('The upload did not reach the server');
    request.onload = () => {
      const fields = xmlFields(request.responseText);
      if (request.status !== 200 || fields.success !== 'true') {
        const message = fields.message || `HTTP ${request.status}`;
        if (request.status === 401 || request.status === 403) setTokenError(message);
        else setUploadError(message);
        return;
      }
      setProgress(1);
      const batchId = new URL(fields.batchStatus ?? '', location.origin).searchParams.get('batchId') ?? '';
      announce('Upload complete: the batch is being applied');
      void watch(batchId);
    };
    request.send(file);
  };

  const watch = async (batchId: string) => {
    const { data, error, response } = await api.GET('/m2/{client}/v2/profile/batchStatus', {
      params: { path: { client }, query: { batchId, showDetails: 'true' } },
      headers: auth,
      parseAs: 'text',
    });
    const fields = xmlFields((data ?? error ?? '') as string);
    if (!response.ok) return setUploadError(fields.message || `HTTP ${response.status}`);
    const next: Status = {
      batchId,
      status: fields.status ?? '',
      batchSize: Number(fields.batchSize),
      consumedCount: Number(fields.consumedCount),
      successfulUpdates: Number(fields.successfulUpdates),
      profilesNotFound: Number(fields.profilesNotFound),
      failedUpdates: Number(fields.failedUpdates),
    };
    setStatus(next);
    if (next.status === 'incomplete') {
      poll.current = window.setTimeout(() => void watch(batchId), 400);
      return;
    }
    announce(`Batch ${next.status}: ${next.successfulUpdates} rows applied, ${next.failedUpdates} failed`);
    await report(batchId);
  };

  const report = async (batchId: string) => {
    const rows: FailedRow[] = [];
    let afterLine = 0;
    for (;;) {
      const { data, error, response } = await api.GET('/m2/{client}/v2/profile/batchReport', {
        params: { path: { client }, query: { batchId, format: 'json', afterLine: String(afterLine) } },
        headers: auth,
        parseAs: 'json',
      });
      if (!response.ok) return setUploadError(messageOf(error, `HTTP ${response.status}`));
      const page = data as unknown as { failedRows: FailedRow[]; nextPage: string | null };
      rows.push(...page.failedRows);
      if (!page.nextPage || page.failedRows.length === 0) break;
      afterLine = page.failedRows[page.failedRows.length - 1]!.line;
    }
    setFailed(rows);
  };

  const consumed = status && status.batchSize > 0 ? status.consumedCount / status.batchSize : status?.status === 'complete' ? 1 : 0;
  return (
    <section>
      <PageTitle>Batches</PageTitle>
      <form class="card" onSubmit={upload} aria-label="Upload a batch">
        <h2>Upload a CRM file to {client}</h2>
        <p class="hint">
          The bulk profile API's CSV: a first line <code>batch=pcId,attribute,…</code> (or thirdPartyId, marketingCloudVisitorId).
        </p>
        <Field
          label="Profile token of the client"
          name="profileToken"
          type="password"
          value={token}
          onInput={setToken}
          error={tokenError}
          hint="Filled in when you issued one on the Clients page in this tab."
        />
        <Select label="API" value={version} options={['v2', 'v1']} onChange={(value) => setVersion(value as 'v2' | 'v1')} />
        <p class="hint">v2 creates unknown profiles; v1 only updates existing ones.</p>
        <div class="field">
          <label for="batch-file">File</label>
          <input id="batch-file" type="file" onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
        </div>
        <ErrorNote message={uploadError} />
        <button type="submit">Upload</button>
        {progress !== null && (
          <div class="field">
            <label for="upload-progress">Upload</label>
            <progress id="upload-progress" max={1} value={progress} aria-valuetext={`${Math.round(progress * 100)} %`} />
            <span>{Math.round(progress * 100)} %</span>
          </div>
        )}
      </form>
      {status && (
        <article class="card" aria-label="Batch status">
          <h2>Batch {status.batchId}</h2>
          <div class="field">
            <label for="apply-progress">Applied</label>
            <progress id="apply-progress" max={1} value={consumed} />
          </div>
          <dl class="pairs">
            {(['status', 'batchSize', 'consumedCount', 'successfulUpdates', 'profilesNotFound', 'failedUpdates'] as const).map((name) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd data-field={name}>{String(status[name])}</dd>
              </div>
            ))}
          </dl>
          {failed && (
            <>
              <h3>Failed rows</h3>
              {failed.length === 0 ? (
                <p>No row failed.</p>
              ) : (
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Line</th>
                        <th scope="col">Key</th>
                        <th scope="col">Reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {failed.map((row) => (
                        <tr key={row.line}>
                          <td>{row.line}</td>
                          <td>{row.key}</td>
                          <td>{row.reason}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <button type="button" onClick={() => download(`batch-${status.batchId}-failed-rows.json`, JSON.stringify(failed, null, 2))}>
                Download the report (JSON)
              </button>
            </>
          )}
        </article>
      )}
    </section>
  );
}
