import type { Command } from 'commander';
import { callServer, printJson, type RemoteOptions } from './remote.js';

type RemoteOf = (command: Command) => RemoteOptions;

const datastreamsPath = (client: string) => `/admin/v1/clients/${encodeURIComponent(client)}/datastreams`;
const datastreamPath = (client: string, configId: string) => `${datastreamsPath(client)}/${encodeURIComponent(configId)}`;

/** `datastream put|get|list|delete`: a client's Web SDK datastreams through the admin API (docs/web-sdk.md#datastreams). */
export function registerDatastreamCommands(program: Command, remoteOf: RemoteOf): void {
  const datastream = program.command('datastream').description('map Web SDK datastream ids (configId) to a client: put, get, list, delete');
  datastream
    .command('put <configId>')
    .description(
      'create a datastream, or replace its fields: profile-edge datastream put web-1 -c demo --ims-org ABC123@AdobeOrg --crm-namespace CRM',
    )
    .requiredOption('-c, --client <code>', 'client code')
    .requiredOption('--ims-org <org>', 'the orgId the page configures the Web SDK with, e.g. ABC123@AdobeOrg')
    .option('--crm-namespace <code>', 'the identityMap namespace whose id is the thirdPartyId, e.g. CRM')
    .option('--property-token <token>', 'the at.js property token of the calls')
    .action(
      async (configId: string, opts: { client: string; imsOrg: string; crmNamespace?: string; propertyToken?: string }, cmd: Command) =>
        printJson(
          await callServer(remoteOf(cmd), 'PUT', datastreamPath(opts.client, configId), {
            imsOrgId: opts.imsOrg,
            ...(opts.crmNamespace === undefined ? {} : { thirdPartyIdNamespace: opts.crmNamespace }),
            ...(opts.propertyToken === undefined ? {} : { propertyToken: opts.propertyToken }),
          }),
        ),
    );
  datastream
    .command('get <configId>')
    .description('show a datastream')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (configId: string, opts: { client: string }, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'GET', datastreamPath(opts.client, configId))),
    );
  datastream
    .command('list')
    .description("list a client's datastreams")
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (opts: { client: string }, cmd: Command) =>
      printJson(await callServer(remoteOf(cmd), 'GET', datastreamsPath(opts.client))),
    );
  datastream
    .command('delete <configId>')
    .description('delete a datastream: Edge calls naming it are refused from then on')
    .requiredOption('-c, --client <code>', 'client code')
    .action(async (configId: string, opts: { client: string }, cmd: Command) => {
      await callServer(remoteOf(cmd), 'DELETE', datastreamPath(opts.client, configId));
    });
}
