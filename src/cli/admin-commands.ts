import type { Command } from 'commander';
import { CliError, callServer, printJson, type RemoteOptions } from './remote.js';

type RemoteOf = (command: Command) => RemoteOptions;

function parseBoolean(value: string): boolean {
  if (/^(true|yes|on|1)$/i.test(value)) return true;
  if (/^(false|no|off|0)$/i.test(value)) return false;
  throw new CliError(`expected true or false, got '${value}'`);
}

/** `a,b,c` → the list; `default` → null (the default list); an empty value → no tokens. */
function responseTokensOption(value: string): string[] | null {
  if (value.trim() === 'default') return null;
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

interface IdOptions {
  client: string;
  tntId?: string;
  thirdPartyId?: string;
  ecid?: string;
}

/** The one id a profile command names, as the admin API's `/{kind}/{id}` path. */
function idPath(options: IdOptions): string {
  const given = [
    ['tntId', options.tntId],
    ['thirdPartyId', options.thirdPartyId],
    ['marketingCloudVisitorId', options.ecid],
  ].filter(([, value]) => value !== undefined) as Array<[string, string]>;
  if (given.length !== 1) throw new CliError('name the profile with exactly one of --tnt-id, --third-party-id, --ecid');
  const [kind, id] = given[0]!;
  return `/admin/v1/clients/${encodeURIComponent(options.client)}/profiles/${kind}/${encodeURIComponent(id)}`;
}

function withIdOptions(command: Command): Command {
  return command
    .requiredOption('-c, --client <code>', 'client code')
    .option('--tnt-id <id>', 'the visitor tntId (mboxPC)')
    .option('--third-party-id <id>', 'the visitor thirdPartyId (mbox3rdPartyId)')
    .option('--ecid <id>', 'the visitor marketingCloudVisitorId');
}

/** `client`, `token` and `profile` commands: they talk to a running server's admin API. */
export function registerAdminCommands(program: Command, remoteOf: RemoteOf): void {
  const client = program.command('client').description('create, update and list clients (tenants)');
  client
    .command('list')
    .description('list every client with its settings')
    .action(async (_opts, cmd: Command) => printJson(await callServer(remoteOf(cmd), 'GET', '/admin/v1/clients')));
  client
    .command('get <code>')
    .description("show one client's settings")
    .action(async (code: string, _opts, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'GET', `/admin/v1/clients/${encodeURIComponent(code)}`)),
    );
  client
    .command('put <code>')
    .alias('create')
    .description('create a client, or update its settings')
    .option('--require-auth <bool>', 'require a profile token on profile API calls', parseBoolean)
    .option('--lifetime-days <days>', 'profile lifetime in days (1-90)', (v) => Number(v))
    .option('--ims-org-id <id>', "Adobe IMS org id used by delivery calls ('none' to clear)")
    .option('--response-tokens <names>', "response tokens of delivery answers, comma-separated ('default' for the default list)")
    .action(
      async (
        code: string,
        opts: { requireAuth?: boolean; lifetimeDays?: number; imsOrgId?: string; responseTokens?: string },
        cmd: Command,
      ) => {
        const body: Record<string, unknown> = {};
        if (opts.requireAuth !== undefined) body.requireAuth = opts.requireAuth;
        if (opts.lifetimeDays !== undefined) body.profileLifetimeDays = opts.lifetimeDays;
        if (opts.imsOrgId !== undefined) body.imsOrgId = opts.imsOrgId === 'none' ? null : opts.imsOrgId;
        if (opts.responseTokens !== undefined) body.responseTokens = responseTokensOption(opts.responseTokens);
        printJson(await callServer(remoteOf(cmd), 'PUT', `/admin/v1/clients/${encodeURIComponent(code)}`, body));
      },
    );

  const token = program.command('token').description("a client's profile API token");
  const tokenPath = (code: string) => `/admin/v1/clients/${encodeURIComponent(code)}/authentication/token?authorizationScope=profile_api`;
  token
    .command('get')
    .description('describe the current token (the secret itself is only shown when issued)')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (opts: { client: string }, cmd: Command) => printJson(await callServer(remoteOf(cmd), 'GET', tokenPath(opts.client))));
  token
    .command('new')
    .description('issue a new token; the previous one stops working at once')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (opts: { client: string }, cmd: Command) => printJson(await callServer(remoteOf(cmd), 'POST', tokenPath(opts.client))));

  const profile = program.command('profile').description('read, write and delete visitor profiles');
  withIdOptions(profile.command('get').description('show a profile and all its ids')).action(async (opts: IdOptions, cmd: Command) =>
    printJson(await callServer(remoteOf(cmd), 'GET', idPath(opts))),
  );
  profile
    .command('set <attributes...>')
    .description('create or update a profile: profile-edge profile set -c demo --tnt-id abc color=blue tier=gold')
    .requiredOption('-c, --client <code>', 'client code')
    .option('--tnt-id <id>', 'the visitor tntId (mboxPC)')
    .option('--third-party-id <id>', 'the visitor thirdPartyId (mbox3rdPartyId)')
    .option('--ecid <id>', 'the visitor marketingCloudVisitorId')
    .action(async (pairs: string[], opts: IdOptions, cmd: Command) => {
      const attributes: Record<string, string> = {};
      for (const pair of pairs) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new CliError(`attributes are name=value, got '${pair}'`);
        attributes[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      const body: Record<string, unknown> = { attributes };
      if (opts.tntId !== undefined) body.tntId = opts.tntId;
      if (opts.thirdPartyId !== undefined) body.thirdPartyId = opts.thirdPartyId;
      if (opts.ecid !== undefined) body.marketingCloudVisitorId = opts.ecid;
      printJson(await callServer(remoteOf(cmd), 'POST', `/admin/v1/clients/${encodeURIComponent(opts.client)}/profiles`, body));
    });
  withIdOptions(profile.command('remove-attribute <name>').description('remove one attribute from a profile')).action(
    async (name: string, opts: IdOptions, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'DELETE', `${idPath(opts)}/attributes/${encodeURIComponent(name)}`)),
  );
  withIdOptions(profile.command('delete').description('delete a profile with every id linked to it')).action(
    async (opts: IdOptions, cmd: Command) => printJson(await callServer(remoteOf(cmd), 'DELETE', idPath(opts))),
  );
}
