import type { TestServer } from './server.js';
import { bearer } from './server.js';

export interface DeliveryAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON answer is asserted field by field
  body: any;
}

/** A raw Delivery API call, as a browser or a script would send it. */
export async function deliver(
  server: TestServer,
  query: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<DeliveryAnswer> {
  const response = await server.fetch(`/rest/v1/delivery?${query}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** A profile's attributes through the fetch API (name → value), or null on 404. */
export async function attributesOf(server: TestServer, path: string, client = 'demo'): Promise<Record<string, string> | null> {
  const response = await server.fetch(`/rest/v1/profiles/${path}?client=${client}`, { headers: bearer(server.demoToken) });
  if (response.status === 404) return null;
  if (response.status !== 200) throw new Error(`fetch ${path}: ${response.status} ${await response.text()}`);
  const document = (await response.json()) as { profileAttributes: Record<string, { value: string }> };
  return Object.fromEntries(Object.entries(document.profileAttributes).map(([name, { value }]) => [name, value]));
}
