import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import type { Json } from '../../../test/support/decisioning-engine.js';
import { allocationValue, allocationVisitorId } from './allocation.js';
import { compileCondition } from './conditions.js';
import { buildDecisionContext, contextForLocation, type DeliveryContext, parseDomainPublicSuffix, withAllocation } from './context.js';

/**
 * Adobe's own conformance cases for on-device decisioning (the `target-sdk-testing` suites, shipped
 * in the engine's package): each case's request, decided with profile-edge's context, conditions
 * and allocation over the case's artifact, must give the options Adobe expects. The rule loop
 * below is the engine's (first matching rule per mbox, every matching rule for the page load and
 * for views), written here only to drive the modules; it is a sketch of deciding imported
 * artifacts. Left out: trace, telemetry and notification suites (SDK behaviours) and the content of
 * campaign macros (rendered by the engine at answer time).
 */

const SCHEMA = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@adobe/target-decisioning-engine/package.json')),
  'test',
  'schema',
);
const SKIPPED_SUITES = new Set(['TEST_SUITE_TRACE.json', 'TEST_SUITE_TELEMETRY.json', 'TEST_SUITE_NOTIFICATIONS.json']);
const PLACEHOLDERS = new Set(['expect.any(Object)', 'expect.any(String)', 'expect.any(Number)']);

const artifactNamed = (name: string): Json => JSON.parse(readFileSync(path.join(SCHEMA, 'artifacts', `${name}.json`), 'utf8'));

/** Geo the SDK would have looked up from the ip address (the case's `mockGeo`, as headers). */
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

interface Consequence {
  name: string;
  options: Json[];
}

function decideArtifact(artifact: Json, client: string, request: Json, now: number, geo: DeliveryContext['geo']): Json {
  const visitorId = allocationVisitorId(request.id ?? {});
  assert.ok(visitorId, 'every case names its visitor');
  const context: DeliveryContext = { ...(request.context ?? {}), geo };
  const base = buildDecisionContext({ context, now, parseDomain: parseDomainPublicSuffix });
  const propertyToken = request.property?.token;
  const byProperty = (rule: Json) => {
    const tokens: string[] = rule.propertyTokens ?? [];
    return propertyToken === undefined ? tokens.length === 0 : tokens.length === 0 || tokens.includes(propertyToken);
  };
  const matches = (rule: Json, detail: Json) =>
    compileCondition(rule.condition).test(
      withAllocation(
        contextForLocation(base, detail, parseDomainPublicSuffix),
        allocationValue(client, String(rule.meta['activity.id']), visitorId!),
      ),
    );
  const optionsOf = (rule: Json, mode: string): Json[] =>
    rule.consequence.options.flatMap((option: Json, i: number) => {
      const { eventToken, ...rest } = option;
      // Executed answers drop blank options (neither type nor content).
      if (mode === 'execute') return option.type === undefined && option.content === undefined ? [] : [rest];
      const display = rule.consequence.metrics?.[i];
      return { ...rest, eventToken: eventToken ?? (display?.type === 'display' ? display.eventToken : undefined) };
    });
  const all = (rules: Json[], detail: Json, mode: string): Consequence[] => {
    const seen = new Set<string>();
    const out: Consequence[] = [];
    for (const rule of rules.filter(byProperty)) {
      if (seen.has(rule.ruleKey) || !matches(rule, detail)) continue;
      seen.add(rule.ruleKey);
      out.push({ name: rule.consequence.name, options: optionsOf(rule, mode) });
    }
    return out;
  };
  const response: Json = {};
  for (const mode of ['execute', 'prefetch']) {
    const part = request[mode];
    if (!part) continue;
    response[mode] = {};
    if (part.mboxes) {
      response[mode].mboxes = part.mboxes.flatMap((mbox: Json) => {
        const rules: Json[] = artifact.rules.mboxes[mbox.name] ?? [];
        if (mbox.name === artifact.globalMbox) return all(rules, mbox, mode).map((c) => ({ name: mbox.name, options: c.options }));
        const rule = rules.filter(byProperty).find((candidate) => matches(candidate, mbox));
        return [{ name: mbox.name, options: rule ? optionsOf(rule, mode) : [] }];
      });
    }
    if (part.pageLoad) {
      response[mode].pageLoad = {
        options: all(artifact.rules.mboxes[artifact.globalMbox] ?? [], part.pageLoad, mode).flatMap((c) => c.options),
      };
    }
    if (part.views) {
      response[mode].views = part.views.flatMap((view: Json) => {
        const rules: Json[] =
          view.name !== undefined ? (artifact.rules.views[view.name] ?? []) : Object.values(artifact.rules.views).flat();
        const grouped = new Map<string, Json[]>();
        for (const c of all(rules, view, mode)) grouped.set(c.name, [...(grouped.get(c.name) ?? []), ...c.options]);
        return [...grouped].map(([name, options]) => ({ name, options }));
      });
    }
  }
  return response;
}

/** jest's toMatchObject on options, as the suites are written: listed fields equal, placeholders match anything. */
function assertOptions(actual: Json[] | undefined, expected: Json[] | undefined, where: string, compareContent: boolean): void {
  if (expected === undefined) return;
  assert.equal(actual?.length, expected.length, `${where}: options`);
  expected.forEach((option, i) => {
    for (const [field, value] of Object.entries(option)) {
      if (field === 'responseTokens' || (typeof value === 'string' && PLACEHOLDERS.has(value))) continue;
      if (field === 'content' && !compareContent) continue;
      assert.deepEqual(actual![i]![field], value, `${where}: options[${i}].${field}`);
    }
  });
}

test("Adobe's conformance suites: the options each case expects, from profile-edge's context, conditions and allocation", (t) => {
  let cases = 0;
  let checked = 0;
  for (const file of readdirSync(path.join(SCHEMA, 'models')).filter((name) => name.endsWith('.json') && !SKIPPED_SUITES.has(name))) {
    const suite: Json = JSON.parse(readFileSync(path.join(SCHEMA, 'models', file), 'utf8'));
    for (const [name, testCase] of Object.entries<Json>(suite.test)) {
      const artifactRef = testCase.artifact ?? suite.artifact;
      const artifact = typeof artifactRef === 'string' ? artifactNamed(artifactRef) : artifactRef;
      const client = testCase.conf?.client ?? suite.conf.client;
      const mock = testCase.mockDate;
      const now = mock
        ? Date.UTC(mock.year, mock.month, mock.date, mock.hours ?? 0, mock.minutes ?? 0, mock.seconds ?? 0)
        : Date.UTC(2021, 0, 1);
      const request = testCase.input.request;
      const ours = decideArtifact(artifact, client, request, now, geoOf(request, testCase.mockGeo));
      const expected = testCase.output ?? {};
      const where = `${file} ${name}`;
      const compareContent = file !== 'TEST_SUITE_MACROS.json';
      for (const mode of ['execute', 'prefetch']) {
        if (!expected[mode]) continue;
        for (const [i, mbox] of (expected[mode].mboxes ?? []).entries()) {
          assert.equal(ours[mode].mboxes[i]?.name, mbox.name, `${where}: ${mode}.mboxes[${i}]`);
          assertOptions(ours[mode].mboxes[i]?.options, mbox.options, `${where}: ${mode}.mboxes[${i}]`, compareContent);
          checked++;
        }
        if (expected[mode].mboxes) assert.equal(ours[mode].mboxes.length, expected[mode].mboxes.length, `${where}: ${mode}.mboxes`);
        if (expected[mode].pageLoad) {
          assertOptions(ours[mode].pageLoad?.options, expected[mode].pageLoad.options, `${where}: ${mode}.pageLoad`, compareContent);
          checked++;
        }
        for (const [i, view] of (expected[mode].views ?? []).entries()) {
          assert.equal(ours[mode].views[i]?.name, view.name, `${where}: ${mode}.views[${i}]`);
          assertOptions(ours[mode].views[i]?.options, view.options, `${where}: ${mode}.views[${i}]`, compareContent);
          checked++;
        }
      }
      cases++;
    }
  }
  t.diagnostic(`${cases} cases, ${checked} locations with their expected options`);
  assert.ok(cases >= 50);
});
