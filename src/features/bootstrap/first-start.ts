import fs from 'node:fs';
import path from 'node:path';
import type { Services } from '../../app.js';

export const SECRETS_FILE = 'first-start-secrets.env';

export interface FirstStartSecrets {
  adminKey: string | null;
  demoToken: string | null;
  file: string;
}

/**
 * On a fresh install: generate the admin key (unless PROFILE_EDGE_ADMIN_KEY is set), create the
 * `demo` client and its profile token, and write both to an owner-only file in the data
 * directory so that the README's examples run as written. Later starts change nothing.
 */
export async function bootstrapFirstStart(services: Services, dataDir: string): Promise<FirstStartSecrets | null> {
  const adminKey = await services.credentials.ensureAdminKey();
  let demoToken: string | null = null;
  if ((await services.clients.list()).length === 0) {
    const { client } = await services.clients.put('demo', {});
    demoToken = (await services.credentials.issueProfileToken(client)).accessToken ?? null;
  }
  if (!adminKey && !demoToken) return null;

  const file = path.join(dataDir, SECRETS_FILE);
  const lines = [
    `# profile-edge first-start secrets, written ${new Date().toISOString()}.`,
    '# Shown once: only their hashes are stored. Keep them somewhere safe, then delete this file.',
    '# Load them into a shell with:  . ./data/first-start-secrets.env',
  ];
  if (adminKey) lines.push(`ADMIN_KEY=${adminKey}`);
  if (demoToken) lines.push(`DEMO_TOKEN=${demoToken}`);
  writePrivateFile(file, lines.join('\n') + '\n');
  return { adminKey, demoToken, file };
}

/** Writes a file readable by its owner only, durably (fsync, then rename into place). */
function writePrivateFile(file: string, content: string): void {
  // On PostgreSQL nothing else creates the data directory: it holds only this file.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  fs.chmodSync(file, 0o600);
}

export function firstStartBanner(secrets: FirstStartSecrets): string {
  const lines = ['', '=== profile-edge first start ==='];
  if (secrets.adminKey) lines.push(`admin key:         ${secrets.adminKey}`);
  if (secrets.demoToken) lines.push(`demo profile token: ${secrets.demoToken}`);
  lines.push(`Shown once. Also saved (owner-only) in ${secrets.file}`, '');
  return lines.join('\n');
}
