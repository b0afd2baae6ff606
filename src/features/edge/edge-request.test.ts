import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseConfig } from '../../config.js';
import type { Datastream } from '../datastreams/datastreams-store.js';
import { translateEdgeCall } from './edge-request.js';

const limits = parseConfig({}).limits;
const datastream: Datastream = {
  configId: 'web-1',
  client: 'demo',
  imsOrgId: 'ORG@AdobeOrg',
  thirdPartyIdNamespace: 'CRM',
  propertyToken: null,
  createdAt: 0,
  modifiedAt: 0,
};

/** The parameters of the call's one location, freshly translated (nothing listed yet). */
function parametersOf(xdm: unknown, target: Record<string, unknown> = {}): Readonly<Record<string, unknown>> {
  const body = { events: [{ xdm, data: { __adobe: { target } }, query: { personalization: { decisionScopes: ['hero'] } } }] };
  const { locations } = translateEdgeCall({ body, ecid: '1'.repeat(38), datastream, userAgent: undefined, requestId: 'r', limits });
  return locations[0]!.parameters!;
}

test('mbox parameters: __adobe.target keys over the XDM flattened to dotted names, identityMap and _experience left out', () => {
  const xdm = {
    web: { webPageDetails: { name: 'home', URL: 'https://x.test/' } },
    device: { screenWidth: 1920 },
    productListItems: [{ SKU: 'sku-1' }],
    identityMap: { CRM: [{ id: 'crm-1' }] },
    _experience: { decisioning: { propositions: [] } },
  };
  const parameters = parametersOf(xdm, {
    'entity.id': 'sku-9',
    'web.webPageDetails.name': 'from target',
    'profile.x': 'written, not a parameter',
  });
  assert.equal(parameters['device.screenWidth'], 1920, 'read before anything listed them');
  assert.equal(parameters['productListItems.0.SKU'], 'sku-1');
  assert.equal(parameters['identityMap.CRM.0.id'], undefined);
  assert.deepEqual(
    { ...parameters },
    {
      'web.webPageDetails.name': 'from target',
      'web.webPageDetails.URL': 'https://x.test/',
      'device.screenWidth': 1920,
      'productListItems.0.SKU': 'sku-1',
      'entity.id': 'sku-9',
    },
  );
  assert.equal(parameters['user.categoryId'], undefined);
  assert.ok('entity.id' in parameters);
  assert.throws(() => {
    (parameters as Record<string, unknown>).added = 1;
  }, TypeError);
});

test('a name read alone finds what the listing would hold, and nothing else (generated XDM)', () => {
  const key = fc.constantFrom('a', 'b', 'a.b', 'c', 'b.c', 'identityMap', '_experience', '0');
  const leaf = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constant(null));
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, leaf, fc.dictionary(key, tie('tree'), { maxKeys: 4 }), fc.array(tie('tree'), { maxLength: 3 })),
  }));
  const names = fc
    .array(fc.constantFrom('a', 'b', 'c', '0', '1', 'a.b', 'b.c'), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join('.'));
  fc.assert(
    fc.property(fc.dictionary(key, tree, { maxKeys: 5 }), fc.array(names, { maxLength: 8 }), (xdm, probes) => {
      const listed = { ...parametersOf(xdm) };
      for (const name of [...Object.keys(listed), ...probes]) {
        assert.equal(parametersOf(xdm)[name], listed[name], name);
      }
    }),
    { numRuns: 500 },
  );
});
