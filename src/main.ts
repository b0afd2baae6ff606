#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError, parseConfig } from './config.js';
import { registerActivityCommands, registerArtifactCommands } from './cli/activity-commands.js';
import { registerScriptCommands } from './cli/script-commands.js';
import { registerAdminCommands } from './cli/admin-commands.js';
import { registerBatchCommands } from './cli/batch-commands.js';
import { registerDatastreamCommands } from './cli/datastream-commands.js';
import { registerPrivacyCommands } from './cli/privacy-commands.js';
import { CliError, type RemoteOptions } from './cli/remote.js';
import { isClusterWorker, runPrimary } from './cluster.js';
import { startServer, stopOnSignals } from './server.js';

const program = new Command()
  .name('profile-edge')
  .description('Self-hostable visitor-profile server, wire-compatible with Adobe Target profile APIs')
  .showHelpAfterError()
  .addOption(new Option('--url <url>', 'server the client commands talk to').env('PROFILE_EDGE_URL'))
  .addOption(
    new Option(
      '--admin-key <key>',
      'admin key for the client commands (default: PROFILE_EDGE_ADMIN_KEY, then the first-start secrets file)',
    ),
  )
  .addOption(new Option('--data-dir <dir>', 'data directory').env('PROFILE_EDGE_DATA_DIR'));

program
  .command('serve')
  .description('run the server (embedded SQLite store unless PROFILE_EDGE_DATABASE_URL is set)')
  .option('-p, --port <port>', 'listen port (PROFILE_EDGE_PORT, default 8080)', (v) => Number(v))
  .option('-H, --host <host>', 'listen address (PROFILE_EDGE_HOST, default 127.0.0.1)')
  .option('--database-url <url>', 'postgres:// URL (PROFILE_EDGE_DATABASE_URL)')
  .option('--public-url <url>', 'base URL for absolute links (PROFILE_EDGE_PUBLIC_URL)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (PROFILE_EDGE_LOG_LEVEL)')
  .option('-w, --workers <n>', 'server processes sharing the port (PROFILE_EDGE_WORKERS, default 1)', (v) => Number(v))
  .action(async (opts: { port?: number; host?: string; databaseUrl?: string; publicUrl?: string; logLevel?: string; workers?: number }) => {
    const global = program.opts<{ dataDir?: string }>();
    const config = parseConfig(process.env, {
      port: opts.port,
      host: opts.host,
      dataDir: global.dataDir,
      databaseUrl: opts.databaseUrl,
      publicUrl: opts.publicUrl,
      logLevel: opts.logLevel,
      workers: opts.workers,
    });
    const announce = (text: string) => process.stdout.write(text + '\n');
    if (config.workers > 1 && !isClusterWorker()) return runPrimary(config, announce);
    const starting = startServer(config, { announce, bootstrap: !isClusterWorker() });
    stopOnSignals(starting, config.shutdownTimeoutMs);
    await starting;
  });

function remoteOf(): RemoteOptions {
  const global = program.opts<{ url?: string; adminKey?: string; dataDir?: string }>();
  const port = process.env.PROFILE_EDGE_PORT || '8080';
  return {
    url: global.url ?? `http://127.0.0.1:${port}`,
    adminKey: global.adminKey,
    dataDir: global.dataDir ?? process.env.PROFILE_EDGE_DATA_DIR ?? './data',
  };
}

registerAdminCommands(program, remoteOf);
registerActivityCommands(program, remoteOf);
registerScriptCommands(program, remoteOf);
registerArtifactCommands(program, remoteOf);
registerBatchCommands(program, remoteOf);
registerPrivacyCommands(program, remoteOf);
registerDatastreamCommands(program, remoteOf);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError || err instanceof ConfigError) {
    process.stderr.write(`profile-edge: ${err.message}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 2);
  }
  process.stderr.write(`profile-edge: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
