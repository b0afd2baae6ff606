import fs from 'node:fs';
import path from 'node:path';
import { SECRETS_FILE } from '../features/bootstrap/first-start.js';

/** Where the client commands find the server and the admin key. */
export interface RemoteOptions {
  url: string;
  adminKey?: string;
  dataDir: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Reads `NAME=value` from the first-start secrets file, if it is there and readable. */
export function secretFromDataDir(dataDir: string, name: 'ADMIN_KEY' | 'DEMO_TOKEN'): string | undefined {
  try {
    const text = fs.readFileSync(path.join(dataDir, SECRETS_FILE), 'utf8');
    const line = text.split('\n').find((l) => l.startsWith(`${name}=`));
    return line?.slice(name.length + 1).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function adminKeyOf(options: RemoteOptions): string {
  const key = options.adminKey ?? process.env.PROFILE_EDGE_ADMIN_KEY ?? secretFromDataDir(options.dataDir, 'ADMIN_KEY');
  if (!key) {
    throw new CliError(
      `No admin key: pass --admin-key, set PROFILE_EDGE_ADMIN_KEY, or run where ${path.join(options.dataDir, SECRETS_FILE)} is readable`,
    );
  }
  return key;
}

/** One JSON call to a running server; non-2xx answers become a CliError with the server's message. */
export async function callServer(
  options: RemoteOptions,
  method: string,
  urlPath: string,
  body?: unknown,
  bearer: string = adminKeyOf(options),
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(urlPath, options.url), {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`Cannot reach ${options.url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep the text */
  }
  if (!response.ok) {
    const message = typeof parsed === 'object' && parsed && 'message' in parsed ? String(parsed.message) : text;
    throw new CliError(`${response.status}: ${message}`);
  }
  return parsed;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
