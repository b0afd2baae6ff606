import { type AppOptions, buildApp, type App } from './app.js';
import type { Config } from './config.js';
import { bootstrapFirstStart, firstStartBanner } from './features/bootstrap/first-start.js';
import { isTransientDatabaseError } from './store/database-errors.js';

export interface RunningServer {
  app: App;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080 (https:// with TLS configured) */
  url: string;
  /** Graceful stop: refuse new connections, finish in-flight requests, stop jobs, close the store. */
  stop(): Promise<void>;
}

export interface StartOptions extends AppOptions {
  /** Print the first-start secrets banner (the CLI does; tests read the file instead). */
  announce?: (text: string) => void;
  /** Run the first-start bootstrap (false in cluster workers: the primary has done it). */
  bootstrap?: boolean;
}

/** First start: admin key, demo client and its token, printed once when `announce` is given. */
export async function announceFirstStart(app: App, config: Config, announce?: (text: string) => void): Promise<void> {
  const secrets = await bootstrapFirstStart(app.services, config.dataDir);
  if (secrets && announce) announce(firstStartBanner(secrets));
}

/** Builds the app, runs first-start bootstrap, starts background jobs and listens. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const app = await buildApp(config, options);
  if (options.bootstrap !== false) await announceFirstStart(app, config, options.announce);

  const sweeper = setInterval(() => {
    app.services.profiles
      .sweepExpired()
      .then((removed) => removed > 0 && app.http.log.info({ removed }, 'expired profiles deleted'))
      // Counted notification ids past their retention (docs/decisioning.md#counting).
      .then(() => app.services.reports.forgetOldNotifications())
      // An outage or a full disk only delays the sweep: the next interval tries again.
      .catch((err: unknown) =>
        isTransientDatabaseError(err)
          ? app.http.log.warn({ err, diskFull: app.disk.noteFailure(err) }, 'lifetime sweep skipped: the database is out of reach or full')
          : app.http.log.error({ err }, 'lifetime sweep failed'),
      );
  }, config.sweepIntervalSeconds * 1000);
  sweeper.unref();

  // Resumes batches left unfinished by an earlier run (crash or restart) before uploads arrive.
  await app.batchProcessor.start();
  await app.http.listen({ port: config.port, host: config.host });
  const address = app.http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let stopping: Promise<void> | undefined;
  return {
    app,
    url: `${config.tls ? 'https' : 'http'}://${host}:${port}`,
    stop() {
      stopping ??= (async () => {
        clearInterval(sweeper);
        await app.batchProcessor.stop();
        await app.close();
      })();
      return stopping;
    },
  };
}

/**
 * SIGTERM / SIGINT: finish in-flight work, close the database cleanly, exit 0. Installed before the
 * server listens, so that a signal arriving during start-up also ends in a clean stop.
 */
export function stopOnSignals(starting: Promise<RunningServer>, timeoutMs: number): void {
  const onSignal = (signal: NodeJS.Signals) => {
    const force = setTimeout(() => {
      process.stderr.write('profile-edge: shutdown timed out; exiting\n');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    starting
      .then(async (server) => {
        server.app.http.log.info({ signal }, 'shutting down: finishing in-flight requests');
        await server.stop();
        server.app.http.log.info('stopped cleanly');
        process.exit(0);
      })
      .catch((err: unknown) => {
        process.stderr.write(`profile-edge: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
