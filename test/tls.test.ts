import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { ConfigError, parseConfig } from '../src/config.js';
import { startTestServer, type TestServer } from './support/server.js';
import { makeCertificate, type TestCertificate } from './support/tls.js';

/**
 * TLS (docs/web-sdk.md#tls): with both PROFILE_EDGE_TLS_* files the server speaks https — what
 * Adobe's Web SDK requires — with a certificate made here by openssl; one file alone, or a file
 * that is not there, stops the start with a message naming the variable; unset, plain HTTP.
 */
let certificate: TestCertificate;
let server: TestServer;

before(async () => {
  certificate = makeCertificate(['localhost']);
  server = await startTestServer({ config: { tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } } });
});
after(async () => {
  await server.dispose();
  certificate.dispose();
});

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, servername: 'localhost' }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('with a certificate and key configured, the server answers over https, trusted by that certificate', async () => {
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const answer = await get(`${server.url}/healthz`, certificate.cert);
  assert.equal(answer.status, 200);
  // Plain HTTP on the TLS port is not served.
  await assert.rejects(fetch(`${server.url.replace('https:', 'http:')}/healthz`));
});

test('one TLS file without the other, or a missing file, stops the start with a message naming the variable', () => {
  const refused = (env: Record<string, string>, message: RegExp) =>
    assert.throws(
      () => parseConfig(env),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
    );
  refused({ PROFILE_EDGE_TLS_CERT_FILE: certificate.certFile }, /^PROFILE_EDGE_TLS_CERT_FILE is set but PROFILE_EDGE_TLS_KEY_FILE is not/);
  refused({ PROFILE_EDGE_TLS_KEY_FILE: certificate.keyFile }, /^PROFILE_EDGE_TLS_KEY_FILE is set but PROFILE_EDGE_TLS_CERT_FILE is not/);
  refused(
    { PROFILE_EDGE_TLS_CERT_FILE: `${certificate.dir}/nope.pem`, PROFILE_EDGE_TLS_KEY_FILE: certificate.keyFile },
    /^PROFILE_EDGE_TLS_CERT_FILE: no file at/,
  );
  assert.equal(parseConfig({}).tls, undefined, 'unset: plain HTTP');
  assert.deepEqual(parseConfig({ PROFILE_EDGE_TLS_CERT_FILE: certificate.certFile, PROFILE_EDGE_TLS_KEY_FILE: certificate.keyFile }).tls, {
    certFile: certificate.certFile,
    keyFile: certificate.keyFile,
  });
});

test('the Edge base path: `ee` by default, slashes allowed, anything else refused', () => {
  assert.equal(parseConfig({}).edgeBasePath, 'ee');
  assert.equal(parseConfig({ PROFILE_EDGE_EDGE_BASE_PATH: '/tenant-a/ee/' }).edgeBasePath, 'tenant-a/ee');
  for (const bad of ['a b', '../ee', 'ee?x', 'a//b']) {
    assert.throws(() => parseConfig({ PROFILE_EDGE_EDGE_BASE_PATH: bad }), ConfigError, bad);
  }
});
