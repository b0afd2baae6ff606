import { type AppOptions, buildApp, type App } from './app.js';
import type { Config } from './config.js';
import { bootstrapFirstStart, firstStartBanner } from './features/bootstrap/first-start.js';

export interface RunningServer {
  app: App;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Graceful stop: refuse new connections, finish in-flight requests, stop jobs, close the store. */
  stop(): Promise<void>;
}

export interface StartOptions extends AppOptions {
  /** Print the first-start secrets banner (the CLI does; tests read the file instead). */
  announce?: (text: string) => void;
}

/** Builds the app, runs first-start bootstrap, starts background jobs and listens. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const app = await buildApp(config, options);
  const secrets = await bootstrapFirstStart(app.services, config.dataDir);
  if (secrets && options.announce) options.announce(firstStartBanner(secrets));

  const sweeper = setInterval(() => {
    app.services.profiles
      .sweepExpired()
      .then((removed) => removed > 0 && app.http.log.info({ removed }, 'expired profiles deleted'))
      .catch((err: unknown) => app.http.log.error({ err }, 'lifetime sweep failed'));
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
    url: `http://${host}:${port}`,
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

/** SIGTERM / SIGINT: finish in-flight work, close the database cleanly, exit 0. */
export function stopOnSignals(server: RunningServer, timeoutMs: number): void {
  const onSignal = (signal: NodeJS.Signals) => {
    server.app.http.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      server.app.http.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    server
      .stop()
      .then(() => {
        server.app.http.log.info('stopped cleanly');
        process.exit(0);
      })
      .catch((err: unknown) => {
        server.app.http.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
