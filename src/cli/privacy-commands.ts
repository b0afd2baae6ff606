import type { Command } from 'commander';
import { CliError, callServer, printJson, type RemoteOptions } from './remote.js';

type RemoteOf = (command: Command) => RemoteOptions;

interface PersonOptions {
  client: string;
  tntId?: string;
  thirdPartyId?: string;
  ecid?: string;
}

/** The privacy API's body: exactly one id names the person. */
function personBody(options: PersonOptions): Record<string, string> {
  const given = [
    ['tntId', options.tntId],
    ['thirdPartyId', options.thirdPartyId],
    ['marketingCloudVisitorId', options.ecid],
  ].filter(([, value]) => value !== undefined) as Array<[string, string]>;
  if (given.length !== 1) throw new CliError('name the person with exactly one of --tnt-id, --third-party-id, --ecid');
  return Object.fromEntries(given);
}

/** `profile-edge privacy export|delete`: a person's data, through a running server's admin API. */
export function registerPrivacyCommands(program: Command, remoteOf: RemoteOf): void {
  const privacy = program
    .command('privacy')
    .description('export or erase everything stored about one person (docs/wire-contract.md#10-privacy)');
  const withPerson = (command: Command) =>
    command
      .requiredOption('-c, --client <code>', 'client code')
      .option('--tnt-id <id>', 'the visitor tntId (mboxPC)')
      .option('--third-party-id <id>', 'the visitor thirdPartyId (mbox3rdPartyId)')
      .option('--ecid <id>', 'the visitor marketingCloudVisitorId');
  for (const [action, description] of [
    ['export', 'print the profile (fetch shape), its ids and every failed batch row carrying its keys'],
    ['delete', 'erase the profile, every linked id and every other stored trace; prints what was deleted'],
  ] as const) {
    withPerson(privacy.command(action).description(description)).action(async (opts: PersonOptions, cmd: Command) =>
      printJson(
        await callServer(remoteOf(cmd), 'POST', `/admin/v1/clients/${encodeURIComponent(opts.client)}/privacy/${action}`, personBody(opts)),
      ),
    );
  }
}
