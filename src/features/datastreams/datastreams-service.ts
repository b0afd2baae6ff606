import type { Clock } from '../../domain/clock.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../errors.js';
import type { Datastream, DatastreamFields, DatastreamsStore } from './datastreams-store.js';

/** A datastream id as the Web SDK sends it in `?configId=`: 1 to 128 letters, digits, `_ : . -`. */
export const CONFIG_ID_PATTERN = /^[A-Za-z0-9_:.-]{1,128}$/;

/** An IMS org as Adobe writes it (`ABC123@AdobeOrg`): it becomes part of a cookie name, so letters, digits, `@ . _ -` only. */
export const IMS_ORG_PATTERN = /^[A-Za-z0-9._-]{1,100}@AdobeOrg$/;

/**
 * Datastreams of a client (docs/web-sdk.md#datastreams): an admin maps a Web SDK `datastreamId`
 * to a client, its IMS org, the identity namespace of the CRM id and a property token. An id is
 * unique on the server: another client's id is a conflict (409), never a silent take-over.
 */
export class DatastreamsService {
  constructor(
    private readonly store: DatastreamsStore,
    private readonly clock: Clock,
  ) {}

  async put(client: string, configId: string, fields: DatastreamFields): Promise<{ datastream: Datastream; created: boolean }> {
    const result = await this.store.put(client, configId, fields, this.clock.now());
    if ('takenBy' in result) {
      throw new ConflictError(
        `configId '${configId}' is already a datastream of another client: ids are unique on the server`,
        'datastream_taken',
      );
    }
    return result;
  }

  async get(client: string, configId: string): Promise<Datastream> {
    const datastream = await this.store.get(configId);
    if (!datastream || datastream.client !== client) {
      throw new NotFoundError(`No datastream '${configId}' for client ${client}`, 'unknown_datastream');
    }
    return datastream;
  }

  list(client: string): Promise<Datastream[]> {
    return this.store.list(client);
  }

  async delete(client: string, configId: string): Promise<void> {
    if (!(await this.store.delete(client, configId))) {
      throw new NotFoundError(`No datastream '${configId}' for client ${client}`, 'unknown_datastream');
    }
  }

  /** The datastream an Edge call names by `?configId=`: unknown is a 400, as the Edge Network answers it. */
  async forEdgeCall(configId: string | undefined): Promise<Datastream> {
    if (configId === undefined || configId === '') {
      throw new BadRequestError(
        'The configId query parameter is required: the datastream id the Web SDK is configured with',
        'configid_missing',
      );
    }
    const datastream = CONFIG_ID_PATTERN.test(configId) ? await this.store.get(configId) : null;
    if (!datastream) {
      throw new BadRequestError(`Unknown configId '${configId.slice(0, 128)}': no datastream has this id`, 'unknown_datastream');
    }
    return datastream;
  }
}
