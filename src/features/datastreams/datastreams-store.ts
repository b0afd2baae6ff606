/**
 * A datastream (docs/web-sdk.md#datastreams): what Adobe's Edge Network keeps behind a Web SDK
 * `datastreamId`, reduced to what profile-edge needs to answer an Edge call. The call carries
 * nothing but the `configId`, so the id names one datastream on the whole server, and through it
 * the client whose profiles the call visits.
 */
export interface Datastream {
  configId: string;
  client: string;
  /** The IMS org the page's Web SDK is configured with: it names the identity cookie (`kndctr_<org>_identity`). */
  imsOrgId: string;
  /** The `xdm.identityMap` namespace whose id is the visitor's thirdPartyId (the CRM id); null: none. */
  thirdPartyIdNamespace: string | null;
  /** The at.js property token of the calls: an imported artifact's rules of other properties do not decide. */
  propertyToken: string | null;
  createdAt: number;
  modifiedAt: number;
}

export interface DatastreamFields {
  imsOrgId: string;
  thirdPartyIdNamespace: string | null;
  propertyToken: string | null;
}

export type DatastreamPut = { datastream: Datastream; created: true } | { datastream: Datastream; created: false } | { takenBy: string };

export interface DatastreamsStore {
  /** The datastream with this id, whichever client it belongs to (the Edge routes' lookup). */
  get(configId: string): Promise<Datastream | null>;
  /** A client's datastreams, by id. */
  list(client: string): Promise<Datastream[]>;
  /**
   * Creates the datastream for `client`, or replaces its fields; when the id belongs to another
   * client nothing is written and the answer names that client (a conflict for the caller).
   */
  put(client: string, configId: string, fields: DatastreamFields, now: number): Promise<DatastreamPut>;
  /** Whether a datastream of `client` with this id existed (and is now gone). */
  delete(client: string, configId: string): Promise<boolean>;
}
