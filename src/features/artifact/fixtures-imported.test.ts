import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertMatches, fixtureArtifact, type Json, mockDateOf, readSuite, suiteFiles } from '../../../test/support/fixture-suite.js';
import type { DeliveryContext } from '../decisioning/context.js';
import type { LocationRequest, Visit } from '../decisioning/decide.js';
import { decideImported, type ImportedAnswer } from './decide-imported.js';
import { compileImportedArtifact, readAdobeArtifact } from './import-artifact.js';

/**
 * Adobe's own conformance cases for on-device decisioning (the `target-sdk-testing` suites shipped
 * in the engine's package), decided by profile-edge over the imported artifact: each case's
 * request, read into locations as delivery reads it, must give the response Adobe expects, compared
 * as the suites compare (jest's `toMatchObject`: listed fields only, arrays of equal length,
 * `expect.any(…)` placeholders), with `activity.decisioningMethod` `server-side` instead of
 * `on-device`.
 *
 * Left out: the TRACE suite (the on-device trace format, not a decision), NOTIFICATIONS (the
 * notifications the SDK sends after deciding) and TELEMETRY (the SDK's telemetry entries): SDK
 * behaviours, not decisions. TIMEFRAME cases run at their `mockDate`, GEO cases with their `mockGeo`
 * as the request's geo (what the SDK's geo lookup would have filled in).
 */

const SKIPPED_SUITES = new Set(['TEST_SUITE_TRACE.json', 'TEST_SUITE_TELEMETRY.json', 'TEST_SUITE_NOTIFICATIONS.json']);

function geoOf(request: Json, mockGeo: Json): DeliveryContext['geo'] {
  if (!mockGeo) return request.context?.geo ?? undefined;
  const geo: Record<string, unknown> = {};
  if (mockGeo['x-geo-latitude'] !== undefined) geo.latitude = Number.parseFloat(mockGeo['x-geo-latitude']);
  if (mockGeo['x-geo-longitude'] !== undefined) geo.longitude = Number.parseFloat(mockGeo['x-geo-longitude']);
  if (mockGeo['x-geo-country-code'] !== undefined) geo.countryCode = mockGeo['x-geo-country-code'];
  if (mockGeo['x-geo-region-code'] !== undefined) geo.stateCode = mockGeo['x-geo-region-code'];
  if (mockGeo['x-geo-city'] !== undefined) geo.city = mockGeo['x-geo-city'];
  return geo;
}

/** A Delivery request's locations, as delivery hands them to the deciders. */
export function locationsOf(request: Json): LocationRequest[] {
  const locations: LocationRequest[] = [];
  for (const mode of ['execute', 'prefetch'] as const) {
    const part = request[mode];
    if (!part) continue;
    const details = (item: Json) => ({
      ...(item.index === undefined ? {} : { index: item.index }),
      ...(item.parameters === undefined ? {} : { parameters: item.parameters }),
      ...(item.address === undefined ? {} : { address: item.address }),
    });
    for (const mbox of part.mboxes ?? []) locations.push({ mode, kind: 'mbox', name: mbox.name, ...details(mbox) });
    for (const view of part.views ?? [])
      locations.push({ mode, kind: 'view', ...(view.name === undefined ? {} : { name: view.name }), ...details(view) });
    if (part.pageLoad) locations.push({ mode, kind: 'pageLoad', ...details(part.pageLoad) });
  }
  return locations;
}

/** The Delivery response's execute/prefetch parts built from the answers (what delivery would write). */
export function responseOf(answers: readonly ImportedAnswer[]): Json {
  const response: Json = {};
  for (const answer of answers) {
    const { mode, kind } = answer.request;
    response[mode] ??= {};
    const item: Json = { options: answer.options };
    if (answer.metrics) item.metrics = answer.metrics;
    if (kind === 'pageLoad') response[mode].pageLoad = item;
    else {
      item.name = kind === 'view' ? answer.location.slice('view:'.length) : answer.location;
      if (answer.request.index !== undefined) item.index = answer.request.index;
      const list = kind === 'view' ? 'views' : 'mboxes';
      response[mode][list] ??= [];
      response[mode][list].push(item);
    }
  }
  return response;
}

/** The expected output with the server's decisioning method. */
function asServerSide(value: Json): Json {
  if (Array.isArray(value)) return value.map(asServerSide);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = key === 'activity.decisioningMethod' && item === 'on-device' ? 'server-side' : asServerSide(item);
  }
  return out;
}

test("Adobe's conformance suites, decided server-side over the imported artifact: every applicable case gives Adobe's expected response", (t) => {
  let cases = 0;
  const compiled = new Map<Json, ReturnType<typeof compileImportedArtifact>>();
  for (const file of suiteFiles().filter((name) => !SKIPPED_SUITES.has(name))) {
    const suite: Json = readSuite(file);
    for (const [name, testCase] of Object.entries<Json>(suite.test)) {
      const artifactRef = testCase.artifact ?? suite.artifact;
      const client: string = testCase.conf?.client ?? suite.conf.client;
      const key = `${artifactRef}/${client}`;
      if (!compiled.has(key)) {
        const artifact = typeof artifactRef === 'string' ? fixtureArtifact(artifactRef) : artifactRef;
        compiled.set(key, compileImportedArtifact(readAdobeArtifact(artifact), { client }));
      }
      const now = mockDateOf(testCase.mockDate) ?? Date.UTC(2021, 0, 1);
      const request = testCase.input.request;
      const visit: Visit = {
        ids: { tntId: '', ...request.id },
        sessionId: testCase.input.sessionId ?? 'session',
        attributes: new Map(),
        context: { ...(request.context ?? {}), geo: geoOf(request, testCase.mockGeo) },
        now,
      };
      const result = decideImported(compiled.get(key)!, visit, locationsOf(request), { propertyToken: request.property?.token });
      assert.deepEqual(result.conditionFailures, [], `${file} ${name}: no condition failed`);
      const expected = asServerSide(testCase.output ?? {});
      const ours = responseOf(result.answers);
      for (const mode of ['execute', 'prefetch']) {
        if (expected[mode]) assertMatches(ours[mode] ?? {}, expected[mode], `${file} ${name}: ${mode}`);
      }
      cases++;
    }
  }
  t.diagnostic(`${cases} cases decided as Adobe expects`);
  assert.equal(cases, 53);
});
