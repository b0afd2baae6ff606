import { Counter, Gauge, type Registry } from 'prom-client';
import type { ScriptFailureReason } from './sandbox/client-sandbox.js';
import type { ProfileScriptsService } from './scripts-service.js';

/**
 * `/metrics` for profile scripts: how many this process disabled, by reason, and how many are
 * disabled now over every client (read from the store when scraped, so every worker and node
 * reports the same number).
 */
export function registerScriptMetrics(registry: Registry, scripts: ProfileScriptsService) {
  const disabledTotal = new Counter({
    name: 'profile_edge_profile_scripts_disabled_total',
    help: 'Profile scripts this process disabled, by reason (budget, memory, threw, tooLong)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'profile_edge_profile_scripts_disabled',
    help: 'Profile scripts disabled by the server now, over every client, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { reason, count } of await scripts.disabledCounts()) this.set({ reason }, count);
    },
  });
  return {
    disabled(reason: ScriptFailureReason) {
      disabledTotal.inc({ reason });
    },
  };
}
