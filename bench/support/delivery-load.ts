import autocannon from 'autocannon';

/**
 * The delivery load: one mbox with 5 profile parameters per call, over a pool of visitors named
 * by tntId, each visitor keeping its own sessionId (as a browser with an `mbox` cookie would).
 */
export const POOL_SIZE = 100_000;

export function visitorTntId(index: number): string {
  return index.toString(16).padStart(32, '0');
}

function deliveryBody(visitor: number, serial: number): string {
  return JSON.stringify({
    context: { channel: 'web', address: { url: 'https://shop.example/products' } },
    id: { tntId: visitorTntId(visitor) },
    execute: {
      mboxes: [
        {
          name: 'hero',
          index: 0,
          profileParameters: {
            lastCategory: `category-${serial % 40}`,
            lastProduct: `sku-${serial % 1000}`,
            cartSize: String(serial % 7),
            loyaltyTier: visitor % 3 === 0 ? 'gold' : 'silver',
            lastSeenPage: `/products/${serial % 250}`,
          },
        },
      ],
    },
  });
}

export interface LoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
}

/**
 * `pick` chooses the visitor of each call: sequential to create the pool, random to measure. The
 * sessionId rides in the path, so it is set per request too.
 */
export async function runDeliveryLoad(
  url: string,
  options: { connections: number; duration?: number; amount?: number; pick: (serial: number) => number },
): Promise<LoadFigures> {
  let serial = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 10 }),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const n = serial++;
          const visitor = options.pick(n);
          return { ...request, path: `/rest/v1/delivery?client=demo&sessionId=bench-${visitor}`, body: deliveryBody(visitor, n) };
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
