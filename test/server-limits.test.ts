import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/domain/clock.js';
import { parseResponse } from './support/raw-http.js';
import { admin, bearer, startTestServer, type TestServer } from './support/server.js';

/** Connection limits against slow and oversized clients, and the bulk API rate limit (docs/security.md). */

interface Conversation {
  /** Everything the server sent until it closed the connection. */
  received: Buffer;
  /** Milliseconds from connect to close. */
  closedAfterMs: number;
}

/** Connects, runs `script` (writes, pauses), and resolves when the server closes the socket. */
function converse(
  url: string,
  script: (socket: net.Socket, closed: () => boolean) => Promise<void>,
  giveUpMs = 10_000,
): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let isClosed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      isClosed = true;
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), closedAfterMs: Date.now() - started });
    });
    socket.on('connect', () => void script(socket, () => isClosed).catch(reject));
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `text` one byte every `everyMs` until the socket closes. */
async function trickle(socket: net.Socket, closed: () => boolean, text: string, everyMs: number): Promise<void> {
  for (const byte of Buffer.from(text)) {
    if (closed()) return;
    socket.write(Buffer.from([byte]));
    await pause(everyMs);
  }
}

describe('slow and oversized clients', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      config: {
        server: {
          headersTimeoutMs: 600,
          requestTimeoutMs: 1500,
          idleTimeoutMs: 5000,
          keepAliveTimeoutMs: 300,
          maxRequestsPerSocket: 2,
          maxHeaderBytes: 4096,
        },
      },
    });
  });
  after(() => server.dispose());

  test('slowloris: a client trickling its headers is answered 408 and cut off', async () => {
    const headers = `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Slow: aaaaaaaaaa\r\n'.repeat(20)}\r\n`;
    const { received, closedAfterMs } = await converse(server.url, (socket, closed) => trickle(socket, closed, headers, 50));
    // The whole trickle would take ~20 s; the server ends it at its 600 ms headers timeout.
    assert.ok(closedAfterMs < 3000, `closed after ${closedAfterMs} ms`);
    const response = parseResponse(received);
    assert.equal(response.status, 408);
    assert.deepEqual(JSON.parse(response.body), { status: 408, message: 'The request was not received completely in time' });
  });

  test('a client trickling its body is cut off at the request timeout', async () => {
    const head = `POST /m2/demo/profile/update HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.demoToken}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n`;
    const { closedAfterMs } = await converse(server.url, async (socket, closed) => {
      socket.write(head);
      await trickle(socket, closed, 'mboxPC=shared&'.repeat(40), 40);
    });
    assert.ok(closedAfterMs < 4000, `closed after ${closedAfterMs} ms`);
  });

  test('a connection that never sends a request is closed', async () => {
    const { closedAfterMs, received } = await converse(server.url, async () => undefined);
    assert.ok(closedAfterMs < 3000, `closed after ${closedAfterMs} ms`);
    assert.equal(parseResponse(received).status, 408);
  });

  test('idle keep-alive connections close after the keep-alive timeout; a connection serves a bounded number of requests', async () => {
    const request = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    const idle = await converse(server.url, async (socket) => {
      socket.write(request);
    });
    assert.equal(parseResponse(idle.received).status, 200);
    assert.ok(idle.closedAfterMs < 2000, `idle keep-alive closed after ${idle.closedAfterMs} ms`);

    const busy = await converse(server.url, async (socket) => {
      socket.write(request);
      await pause(50);
      socket.write(request);
    });
    const text = busy.received.toString('latin1');
    assert.equal(text.match(/HTTP\/1\.1 200/g)?.length, 2);
    assert.match(text.slice(text.lastIndexOf('HTTP/1.1 200')), /connection: close/i, 'the second answer ends the connection');
  });

  test('headers over the limit are answered 431 with the REST error body', async () => {
    const response = await server.fetch('/healthz', { headers: { 'x-big': 'h'.repeat(5000) } });
    assert.equal(response.status, 431);
    assert.deepEqual(await response.json(), { status: 431, message: 'Request line and headers are larger than the server accepts' });
  });

  test('a request within the limits is still served normally', async () => {
    assert.equal((await server.fetch('/healthz', { headers: { 'x-ok': 'h'.repeat(3000) } })).status, 200);
  });
});

describe('bulk API rate limit', () => {
  const clock = new ManualClock(Date.UTC(2026, 6, 1));
  let server: TestServer;
  let otherToken: string;
  before(async () => {
    server = await startTestServer({ clock, config: { bulkRateLimitPerMinute: 3 } });
    await admin(server, 'PUT', '/admin/v1/clients/other', {});
    const issued = await admin(server, 'POST', '/admin/v1/clients/other/authentication/token?authorizationScope=profile_api');
    otherToken = ((await issued.json()) as { accessToken: string }).accessToken;
  });
  after(() => server.dispose());

  const upload = (client: string, token: string | null) =>
    server.fetch(`/m2/${client}/v2/profile/batchUpdate`, {
      method: 'POST',
      headers: token ? bearer(token) : {},
      body: 'batch=pcId,a\nrate-visitor,1\n',
    });

  test('above the limit a client gets 503 with Retry-After; other clients and the next minute are not affected', async () => {
    assert.equal((await upload('demo', null)).status, 401, 'unauthenticated calls are refused before they count');
    for (let i = 0; i < 3; i++) assert.equal((await upload('demo', server.demoToken)).status, 200, `call ${i + 1}`);
    clock.advance(20_000);
    const refused = await upload('demo', server.demoToken);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '40');
    assert.equal(
      await refused.text(),
      '<response><success>false</success><message>Too many bulk API calls for client demo: the limit is 3 per minute; retry in 40 seconds</message></response>',
    );
    assert.equal((await upload('other', otherToken)).status, 200, "another client's budget is its own");
    clock.advance(40_001);
    assert.equal((await upload('demo', server.demoToken)).status, 200, 'a minute after the first calls, calls are accepted again');
  });
});
