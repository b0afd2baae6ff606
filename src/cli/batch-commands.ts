import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { CliError, type RemoteOptions, secretFromDataDir } from './remote.js';

type RemoteOf = (command: Command) => RemoteOptions;

/** Exit codes of `batch upload`: scripts can tell a clean run from failed rows from a refusal. */
export const EXIT_ROWS_FAILED = 3;

interface TokenOptions {
  client: string;
  token?: string;
}

/** `--token`, else PROFILE_EDGE_TOKEN, else the first-start DEMO_TOKEN when the client is `demo`. */
function tokenOf(options: TokenOptions, remote: RemoteOptions): string | undefined {
  return (
    options.token ??
    (process.env.PROFILE_EDGE_TOKEN || undefined) ??
    (options.client === 'demo' ? secretFromDataDir(remote.dataDir, 'DEMO_TOKEN') : undefined)
  );
}

function xmlField(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match?.[1]
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function headers(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function get(url: string, token: string | undefined): Promise<{ status: number; text: string }> {
  let response: Response;
  try {
    response = await fetch(url, { headers: headers(token) });
  } catch (err) {
    throw new CliError(`Cannot reach ${new URL(url).origin}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  return { status: response.status, text: await response.text() };
}

/** Streams the file as the body (never read into memory), reporting bytes sent. */
function postFile(
  url: URL,
  file: string,
  size: number,
  token: string | undefined,
  onSent: (bytes: number) => void,
): Promise<{ status: number; text: string }> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': size, ...headers(token) },
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', (err) => reject(new CliError(`Cannot reach ${url.origin}: ${err.message}`)));
    const body = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
    let sent = 0;
    body.on('data', (chunk) => {
      sent += chunk.length;
      onSent(sent);
    });
    body.on('error', (err) => reject(new CliError(`Cannot read ${file}: ${err.message}`)));
    body.pipe(request);
  });
}

interface FailedRow {
  line: number;
  key: string;
  reason: string;
}

/** Every failed row, following the report's pages. */
async function failedRows(base: string, client: string, batchId: string, token: string | undefined): Promise<FailedRow[]> {
  const rows: FailedRow[] = [];
  let url: string | null =
    `${base}/m2/${encodeURIComponent(client)}/profile/batchReport?batchId=${encodeURIComponent(batchId)}&format=json`;
  while (url) {
    const { status, text } = await get(url, token);
    if (status !== 200) throw new CliError(`batch report: ${status}: ${xmlField(text, 'message') ?? text}`);
    const page = JSON.parse(text) as { failedRows: FailedRow[]; nextPage: string | null };
    rows.push(...page.failedRows);
    url = page.nextPage ? base + new URL(page.nextPage).pathname + new URL(page.nextPage).search : null;
  }
  return rows;
}

const COUNTERS = ['batchSize', 'consumedCount', 'successfulUpdates', 'profilesNotFound', 'failedUpdates'] as const;

/** `batch upload` and `batch status`: the bulk API from the command line. */
export function registerBatchCommands(program: Command, remoteOf: RemoteOf): void {
  const batch = program.command('batch').description('bulk profile updates: upload a batch file, follow its status');

  batch
    .command('upload <file>')
    .description('upload a batch file (batch=pcId|thirdPartyId,names… then one row per profile) and wait until it is applied')
    .requiredOption('-c, --client <code>', 'client code')
    .option('--v1', 'update existing profiles only (v1); default v2 also creates missing profiles')
    .option(
      '--token <token>',
      'profile API token (default: PROFILE_EDGE_TOKEN, then DEMO_TOKEN of the first-start secrets for client demo)',
    )
    .option('--no-progress', 'no progress bar')
    .action(async (file: string, opts: TokenOptions & { v1?: boolean; progress: boolean }, cmd: Command) => {
      const remote = remoteOf(cmd);
      const token = tokenOf(opts, remote);
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        throw new CliError(`Cannot read ${file}`);
      }
      const base = remote.url.replace(/\/+$/, '');
      const client = encodeURIComponent(opts.client);
      const endpoint = new URL(`${base}/m2/${client}/${opts.v1 ? '' : 'v2/'}profile/batchUpdate`);

      // One bar for the whole run: the upload fills the first half, processing the second.
      const bar = new cliProgress.SingleBar(
        { format: '{phase} [{bar}] {percentage}% | {detail}', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      if (opts.progress) bar.start(100, 0, { phase: 'upload    ', detail: `0/${size} bytes` });
      let submitted: { status: number; text: string };
      try {
        submitted = await postFile(endpoint, file, size, token, (sent) =>
          bar.update(Math.floor((50 * sent) / Math.max(size, 1)), { detail: `${sent}/${size} bytes` }),
        );
      } catch (err) {
        bar.stop();
        throw err;
      }
      const statusLink = xmlField(submitted.text, 'batchStatus');
      if (submitted.status !== 200 || !statusLink) {
        bar.stop();
        throw new CliError(`batch refused (${submitted.status}): ${xmlField(submitted.text, 'message') ?? submitted.text}`);
      }
      // The link is absolute and may name a public URL; poll through the URL we reached.
      const link = new URL(statusLink);
      const batchId = link.searchParams.get('batchId')!;
      const statusUrl = `${base}${link.pathname}${link.search}&showDetails=true`;
      let xml = '';
      for (;;) {
        const { status, text } = await get(statusUrl, token);
        if (status !== 200) {
          bar.stop();
          throw new CliError(`batch status: ${status}: ${xmlField(text, 'message') ?? text}`);
        }
        xml = text;
        const consumed = Number(xmlField(xml, 'consumedCount'));
        const total = Math.max(Number(xmlField(xml, 'batchSize')), 1);
        bar.update(50 + Math.floor((50 * consumed) / total), { phase: 'processing', detail: `${consumed}/${total} rows` });
        if (xmlField(xml, 'status') !== 'incomplete') break;
        await sleep(200);
      }
      bar.stop();

      const state = xmlField(xml, 'status');
      const lines = [`batchId: ${batchId}`, `status: ${state}`, ...COUNTERS.map((name) => `${name}: ${xmlField(xml, name)}`)];
      const failures = await failedRows(base, opts.client, batchId, token);
      for (const row of failures) lines.push(`failed line ${row.line} (key ${row.key}): ${row.reason}`);
      process.stdout.write(lines.join('\n') + '\n');
      if (state === 'stuck') throw new CliError(`batch ${batchId} is stuck and cannot complete`);
      if (failures.length > 0) process.exitCode = EXIT_ROWS_FAILED;
    });

  batch
    .command('status <batchId>')
    .description("show a batch's status (the client is taken from the id unless --client is given)")
    .option('-c, --client <code>', 'client code (default: the part of the batch id before -<millis>-<digits>)')
    .option('--details', 'include the counters and the failed rows')
    .option('--token <token>', 'profile API token (default: PROFILE_EDGE_TOKEN, then DEMO_TOKEN for client demo)')
    .action(async (batchId: string, opts: { client?: string; details?: boolean; token?: string }, cmd: Command) => {
      const client = opts.client ?? /^(.+)-\d+-\d{8}$/.exec(batchId)?.[1];
      if (!client) throw new CliError(`cannot tell the client from '${batchId}': pass --client`);
      const remote = remoteOf(cmd);
      const token = tokenOf({ client, token: opts.token }, remote);
      const base = remote.url.replace(/\/+$/, '');
      const url = `${base}/m2/${encodeURIComponent(client)}/profile/batchStatus?batchId=${encodeURIComponent(batchId)}${opts.details ? '&showDetails=true' : ''}`;
      const { status, text } = await get(url, token);
      if (status !== 200) throw new CliError(`${status}: ${xmlField(text, 'message') ?? text}`);
      const result: Record<string, unknown> = { batchId: xmlField(text, 'batchId'), status: xmlField(text, 'status') };
      for (const name of COUNTERS) {
        const value = xmlField(text, name);
        if (value !== undefined) result[name] = Number(value);
      }
      if (opts.details) result.failedRows = await failedRows(base, client, batchId, token);
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    });
}
