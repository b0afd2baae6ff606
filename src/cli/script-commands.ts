import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, callServer, printJson, type RemoteOptions } from './remote.js';

type RemoteOf = (command: Command) => RemoteOptions;

const scriptsPath = (client: string) => `/admin/v1/clients/${encodeURIComponent(client)}/profile-scripts`;
const scriptPath = (client: string, name: string) => `${scriptsPath(client)}/${encodeURIComponent(name)}`;

/** The text of a source file (`-`: standard input). */
function readSource(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file === '-' ? 'standard input' : file}: ${(error as Error).message}`);
  }
}

/** `name=value` pairs of a repeated option. */
function pairs(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new CliError(`'${value}' is not name=value`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

interface TryOptions {
  client: string;
  file?: string;
  tntId?: string;
  thirdPartyId?: string;
  ecid?: string;
  mbox?: string;
  param?: Record<string, string>;
  profile?: Record<string, string>;
  url?: string;
}

/** `script put|get|list|delete|try`: a client's profile scripts through the admin API (docs/profile-scripts.md). */
export function registerScriptCommands(program: Command, remoteOf: RemoteOf): void {
  const script = program.command('script').description("create, replace, read, list, delete and try a client's profile scripts");
  script
    .command('put <name>')
    .description('create or replace a profile script (re-enables a disabled one): profile-edge script put visits -c demo --file visits.js')
    .requiredOption('-c, --client <code>', 'client code')
    .requiredOption('-f, --file <path>', "the script's source ('-': standard input)")
    .option('--description <text>', 'what it computes')
    .option('--disabled', 'store it without running it')
    .action(async (name: string, opts: { client: string; file: string; description?: string; disabled?: boolean }, cmd: Command) =>
      printJson(
        await callServer(remoteOf(cmd), 'PUT', scriptPath(opts.client, name), {
          source: readSource(opts.file),
          enabled: opts.disabled !== true,
          ...(opts.description !== undefined ? { description: opts.description } : {}),
        }),
      ),
    );
  script
    .command('get <name>')
    .description('show a profile script: source, version, status and why it was disabled')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (name: string, opts: { client: string }, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'GET', scriptPath(opts.client, name))),
    );
  script
    .command('list')
    .description("list a client's profile scripts, by name")
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (opts: { client: string }, cmd: Command) => printJson(await callServer(remoteOf(cmd), 'GET', scriptsPath(opts.client))));
  script
    .command('delete <name>')
    .description("delete a profile script (refused while an activity's condition reads its attribute)")
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (name: string, opts: { client: string }, cmd: Command) => {
      await callServer(remoteOf(cmd), 'DELETE', scriptPath(opts.client, name));
    });
  script
    .command('try <name>')
    .description('run a script against a visitor and a sample request, storing nothing: profile-edge script try visits -c demo --tnt-id v1')
    .requiredOption('-c, --client <code>', 'client code')
    .option('-f, --file <path>', "an unsaved source to try ('-': standard input); the stored one by default")
    .option('--tnt-id <id>', 'the visitor (none: a new visitor)')
    .option('--third-party-id <id>', 'the visitor by thirdPartyId')
    .option('--ecid <id>', 'the visitor by marketingCloudVisitorId')
    .option('--mbox <name>', 'the location (default: the page load)')
    .option('--param <name=value>', 'an mbox parameter (repeatable)', pairs)
    .option('--profile <name=value>', 'a profile parameter of the request (repeatable)', pairs)
    .option('--url <url>', 'the page url')
    .action(async (name: string, opts: TryOptions, cmd: Command) => {
      const body: Record<string, unknown> = {};
      if (opts.file !== undefined) body.source = readSource(opts.file);
      if (opts.tntId !== undefined) body.tntId = opts.tntId;
      if (opts.thirdPartyId !== undefined) body.thirdPartyId = opts.thirdPartyId;
      if (opts.ecid !== undefined) body.marketingCloudVisitorId = opts.ecid;
      if (opts.mbox !== undefined) body.mbox = { name: opts.mbox, ...(opts.param ? { parameters: opts.param } : {}) };
      if (opts.profile) body.profileParameters = opts.profile;
      if (opts.url !== undefined) body.context = { url: opts.url };
      printJson(await callServer(remoteOf(cmd), 'POST', `${scriptPath(opts.client, name)}/try`, body));
    });
}
