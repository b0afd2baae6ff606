import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Adobe's conformance suites for on-device decisioning (the `target-sdk-testing` schema shipped in
 * `@adobe/target-decisioning-engine`'s package, `test/schema/`): the suites, their artifacts, and
 * the comparison the suites make (jest's `toMatchObject`: listed fields only, arrays of equal
 * length, `expect.any(…)` placeholders).
 */
// biome-ignore lint/suspicious/noExplicitAny: the suites are JSON
export type Json = any;

export const SCHEMA = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@adobe/target-decisioning-engine/package.json')),
  'test',
  'schema',
);

const PLACEHOLDERS: Record<string, (value: unknown) => boolean> = {
  'expect.any(Object)': (value) => typeof value === 'object' && value !== null,
  'expect.any(String)': (value) => typeof value === 'string',
  'expect.any(Number)': (value) => typeof value === 'number',
};

/** An artifact of `schema/artifacts/` by its name (`TEST_ARTIFACT_AB_SIMPLE`). */
export const fixtureArtifact = (name: string): Json => JSON.parse(readFileSync(path.join(SCHEMA, 'artifacts', `${name}.json`), 'utf8'));

/** The suite files of `schema/models/`, sorted. */
export const suiteFiles = (): string[] =>
  readdirSync(path.join(SCHEMA, 'models'))
    .filter((name) => name.endsWith('.json'))
    .sort();

export const readSuite = (file: string): Json => JSON.parse(readFileSync(path.join(SCHEMA, 'models', file), 'utf8'));

/** A case's `mockDate` as milliseconds (UTC, as Adobe's runner sets it), or undefined. */
export function mockDateOf(mock: Json): number | undefined {
  if (!mock) return undefined;
  return Date.UTC(mock.year, mock.month, mock.date, mock.hours ?? 0, mock.minutes ?? 0, mock.seconds ?? 0);
}

/** jest's toMatchObject, with the suites' placeholders. */
export function assertMatches(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'string' && PLACEHOLDERS[expected]) {
    assert.ok(PLACEHOLDERS[expected]!(actual), `${where}: ${JSON.stringify(actual)} is not ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: length`);
    for (const [i, item] of expected.entries()) assertMatches(actual[i], item, `${where}[${i}]`);
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    assert.ok(typeof actual === 'object' && actual !== null, `${where}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(expected)) assertMatches((actual as Json)[key], value, `${where}.${key}`);
    return;
  }
  assert.deepEqual(actual, expected, where);
}
