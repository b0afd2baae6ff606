import type { FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { UNREACHABLE_RETRY_AFTER_SECONDS } from '../../store/database-errors.js';
import type { DiskSpace } from '../../store/disk-space.js';
import { health, ready } from './health-schemas.js';

/** While the disk is full, a load balancer looks again after this long. */
const DISK_FULL_RETRY_AFTER_SECONDS = 10;

export const STORE_UNAVAILABLE_MESSAGE = 'store unavailable';
export const DISK_FULL_HEALTH_MESSAGE = 'The server is out of disk space: writes are refused until space is freed';

type Condition = { state: 'ok' } | { state: 'store_unavailable' } | { state: 'disk_full' };

/**
 * `GET /healthz` (monitoring) and `GET /readyz` (load balancers) read one condition: the store
 * answers a round trip, and the data directory takes writes (src/store/disk-space.ts). Both come
 * back by themselves once the fault is gone (docs/wire-contract.md#13-faults).
 */
export function registerHealthRoutes(app: FastifyInstance, deps: { ping: () => Promise<void>; disk: DiskSpace; metrics?: Registry }): void {
  if (deps.metrics) {
    const { disk } = deps;
    new Gauge({
      name: 'profile_edge_disk_full',
      help: '1 while the data directory is marked out of disk space (writes answer 507), else 0',
      registers: [deps.metrics],
      collect() {
        this.set(disk.knownFull ? 1 : 0);
      },
    });
  }

  const condition = async (): Promise<Condition> => {
    try {
      await deps.ping();
    } catch {
      return { state: 'store_unavailable' };
    }
    return (await deps.disk.isFull()) ? { state: 'disk_full' } : { state: 'ok' };
  };

  app.get('/healthz', { schema: health }, async (_request, reply) => {
    const now = await condition();
    switch (now.state) {
      case 'ok':
        return { status: 'ok' };
      case 'store_unavailable':
        reply.code(503);
        return { status: 503, message: STORE_UNAVAILABLE_MESSAGE };
      case 'disk_full':
        reply.code(507);
        return { status: 507, message: DISK_FULL_HEALTH_MESSAGE };
    }
  });

  app.get('/readyz', { schema: ready }, async (_request, reply) => {
    const now = await condition();
    if (now.state === 'ok') return { status: 'ready' };
    const diskFull = now.state === 'disk_full';
    reply.code(503).header('retry-after', String(diskFull ? DISK_FULL_RETRY_AFTER_SECONDS : UNREACHABLE_RETRY_AFTER_SECONDS));
    return { status: 503, message: diskFull ? DISK_FULL_HEALTH_MESSAGE : STORE_UNAVAILABLE_MESSAGE };
  });
}
