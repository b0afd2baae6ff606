import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { tempDir } from './server.js';

/** A self-signed development certificate made at test time, as docs/web-sdk.md#tls shows with openssl. */
export interface TestCertificate {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
  dispose(): void;
}

export function makeCertificate(hosts: readonly string[] = ['localhost']): TestCertificate {
  const dir = tempDir('profile-edge-tls-');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const names = [...hosts.map((host) => `DNS:${host}`), 'IP:127.0.0.1'].join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${hosts[0] ?? 'localhost'}`,
      '-addext',
      `subjectAltName=${names}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return {
    dir,
    certFile,
    keyFile,
    cert: fs.readFileSync(certFile),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * `fetch` for a server with a test certificate (Node's fetch has no per-call CA): the same
 * Request-ish arguments, answered as a Response.
 */
export function fetchTrusting(ca: Buffer): (url: string, init?: RequestInit) => Promise<Response> {
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const headers = new Headers(init.headers);
      const request = https.request(url, { method: init.method ?? 'GET', ca, headers: Object.fromEntries(headers) }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const answer = new Headers();
          for (const [name, value] of Object.entries(response.headers))
            if (value !== undefined) answer.set(name, [value].flat().join(', '));
          const status = response.statusCode ?? 0;
          resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: answer }));
        });
      });
      request.on('error', reject);
      request.end(typeof init.body === 'string' ? init.body : undefined);
    });
}
