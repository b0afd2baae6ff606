import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, callServer, printJson, type RemoteOptions } from './remote.js';

type RemoteOf = (command: Command) => RemoteOptions;

const activitiesPath = (client: string) => `/admin/v1/clients/${encodeURIComponent(client)}/activities`;
const activityPath = (client: string, id: string) => `${activitiesPath(client)}/${encodeURIComponent(id)}`;

/** The JSON of `--file` (`-`: standard input). */
function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file === '-' ? 'standard input' : file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file === '-' ? 'standard input' : file} is not JSON: ${(error as Error).message}`);
  }
}

/** `activity put|get|list|delete|report`: a client's activities through the admin API (docs/decisioning.md#managing-activities). */
export function registerActivityCommands(program: Command, remoteOf: RemoteOf): void {
  const activity = program.command('activity').description("create, replace, read, list and delete a client's activities");
  activity
    .command('put <id>')
    .description('create an activity, or replace it with its next version: profile-edge activity put spring -c demo --file spring.json')
    .requiredOption('-c, --client <code>', 'client code')
    .requiredOption('-f, --file <path>', "the activity's JSON ('-': standard input)")
    .action(async (id: string, opts: { client: string; file: string }, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'PUT', activityPath(opts.client, id), readJsonFile(opts.file))),
    );
  activity
    .command('get <id>')
    .description('show an activity with its version')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (id: string, opts: { client: string }, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'GET', activityPath(opts.client, id))),
    );
  activity
    .command('list')
    .description("list a client's activities, by id")
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (opts: { client: string }, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'GET', activitiesPath(opts.client))),
    );
  activity
    .command('delete <id>')
    .description('delete an activity')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (id: string, opts: { client: string }, cmd: Command) => {
      await callServer(remoteOf(cmd), 'DELETE', activityPath(opts.client, id));
    });
  activity
    .command('report <id>')
    .description("show an activity's report: visitors, impressions, conversions, lift per experience")
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (id: string, opts: { client: string }, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'GET', `${activityPath(opts.client, id)}/report`)),
    );
}

const artifactPath = (client: string) => `/admin/v1/clients/${encodeURIComponent(client)}/artifact`;

/** `artifact import|show|delete`: a client's imported Adobe rules artifact (docs/artifact.md#import). */
export function registerArtifactCommands(program: Command, remoteOf: RemoteOf): void {
  const artifact = program.command('artifact').description("import, show and remove a client's Adobe rules artifact");
  artifact
    .command('import <file>')
    .description(
      "import an Adobe rules artifact (rules.json, '-': standard input) and show what it holds: profile-edge artifact import rules.json -c demo",
    )
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (file: string, opts: { client: string }, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'PUT', artifactPath(opts.client), readJsonFile(file))),
    );
  artifact
    .command('show')
    .description('show what the imported artifact holds: locations and activities')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (opts: { client: string }, cmd: Command) => printJson(await callServer(remoteOf(cmd), 'GET', artifactPath(opts.client))));
  artifact
    .command('delete')
    .description('remove the imported artifact')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (opts: { client: string }, cmd: Command) => {
      await callServer(remoteOf(cmd), 'DELETE', artifactPath(opts.client));
    });
}
