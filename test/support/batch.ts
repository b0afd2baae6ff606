import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { bearer, tempDir, type TestServer } from './server.js';

const run = promisify(execFile);

/** Writes a batch body to a temp file (curl reads it with --data-binary @file). */
export function batchFile(content: string | Buffer, name = 'batch.txt'): string {
  const file = path.join(tempDir('profile-edge-batch-'), name);
  fs.writeFileSync(file, content);
  return file;
}

/** The documented call: `curl -s -X POST --data-binary @file URL -H "Authorization: Bearer …"` (real curl). */
export async function curlBatch(
  server: TestServer,
  urlPath: string,
  file: string,
  options: { token?: string | null; args?: string[] } = {},
): Promise<{ status: number; body: string }> {
  const token = options.token === undefined ? server.demoToken : options.token;
  const args = ['-s', '-X', 'POST', '--data-binary', `@${file}`, server.url + urlPath, '-w', '\n%{http_code}'];
  if (token) args.push('-H', `Authorization: Bearer ${token}`);
  args.push(...(options.args ?? []));
  const { stdout } = await run('curl', args, { maxBuffer: 16 * 1024 * 1024 });
  const cut = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, cut), status: Number(stdout.slice(cut + 1)) };
}

export function xmlField(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export function batchIdOf(submission: string): string {
  const link = xmlField(submission, 'batchStatus');
  if (!link) throw new Error(`not a submission answer: ${submission}`);
  return new URL(link).searchParams.get('batchId')!;
}

/** Polls the detailed status until the batch is no longer incomplete; answers the status XML. */
export async function waitForBatch(
  server: TestServer,
  client: string,
  batchId: string,
  token = server.demoToken,
  timeoutMs = 120_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await server.fetch(`/m2/${client}/profile/batchStatus?batchId=${batchId}&showDetails=true`, {
      headers: bearer(token),
    });
    const xml = await response.text();
    if (response.status !== 200) throw new Error(`status ${response.status}: ${xml}`);
    if (xmlField(xml, 'status') !== 'incomplete') return xml;
    if (Date.now() > deadline) throw new Error(`batch ${batchId} still incomplete: ${xml}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The expected detailed status document, byte for byte. */
export function detailedStatus(
  server: TestServer,
  client: string,
  batchId: string,
  counters: { status?: string; batchSize: number; consumed: number; ok: number; notFound: number; failed: number },
): string {
  return (
    `<response><batchId>${batchId}</batchId><status>${counters.status ?? 'complete'}</status><batchSize>${counters.batchSize}</batchSize>` +
    `<consumedCount>${counters.consumed}</consumedCount><successfulUpdates>${counters.ok}</successfulUpdates>` +
    `<profilesNotFound>${counters.notFound}</profilesNotFound><failedUpdates>${counters.failed}</failedUpdates>` +
    `<failureReport>${server.url}/m2/${client}/profile/batchReport?batchId=${batchId}</failureReport></response>`
  );
}

/** Attribute values of a profile through the public fetch API (null when it does not exist). */
export async function profileValues(server: TestServer, urlPath: string, token = server.demoToken): Promise<Record<string, string> | null> {
  const response = await server.fetch(urlPath, { headers: bearer(token) });
  if (response.status === 404) return null;
  if (response.status !== 200) throw new Error(`fetch ${urlPath}: ${response.status} ${await response.text()}`);
  const document = (await response.json()) as { profileAttributes: Record<string, { value: string }> };
  return Object.fromEntries(Object.entries(document.profileAttributes).map(([name, { value }]) => [name, value]));
}

export async function failureReport(
  server: TestServer,
  client: string,
  batchId: string,
  token = server.demoToken,
): Promise<Array<{ line: number; key: string; reason: string }>> {
  const response = await server.fetch(`/m2/${client}/profile/batchReport?batchId=${batchId}&format=json&limit=10000`, {
    headers: bearer(token),
  });
  if (response.status !== 200) throw new Error(`report: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { failedRows: Array<{ line: number; key: string; reason: string }> }).failedRows;
}
