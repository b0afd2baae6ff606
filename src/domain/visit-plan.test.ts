import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AttributeMap, applyWrites, profileBytes, SESSION_ATTRIBUTES_ROOM } from './attributes.js';
import type { VisitorIdRef } from './identity.js';
import { DEFAULT_MAX_PROFILE_BYTES, type FoundId, resolveIds } from './profile-write.js';
import { recordSessionVisit, type SessionState } from './sessions.js';
import { planVisit, type VisitChange, type VisitedProfile } from './visit-plan.js';

const NOW = 1_000_000;
const tnt = (value: string): VisitorIdRef => ({ kind: 'tntId', value });
const third = (value: string): VisitorIdRef => ({ kind: 'thirdPartyId', value });
const ecid = (value: string): VisitorIdRef => ({ kind: 'marketingCloudVisitorId', value });

function attrs(entries: Record<string, [string, number]>): AttributeMap {
  return new Map(Object.entries(entries).map(([name, [value, modifiedAt]]) => [name, { value, modifiedAt }]));
}
function visited(key: string, options: { identified?: boolean; attributes?: AttributeMap; expiresAt?: number; createdAt?: number } = {}) {
  return {
    key,
    identified: options.identified ?? false,
    attributes: options.attributes ?? new Map(),
    session: null as SessionState | null,
    createdAt: options.createdAt ?? 100,
    expiresAt: options.expiresAt ?? NOW + 1,
  } satisfies VisitedProfile;
}
const known = (ref: VisitorIdRef, p: VisitedProfile): FoundId<VisitedProfile> => ({ ref, key: p.key, profile: p });
const unknown = (ref: VisitorIdRef): FoundId<VisitedProfile> => ({ ref, key: undefined, profile: undefined });
const change = (pairs: Record<string, string> = {}, maxProfileBytes = DEFAULT_MAX_PROFILE_BYTES): VisitChange => ({
  now: NOW,
  expiresAt: NOW + 5000,
  maxProfileBytes,
  apply: (state) => ({
    ...state,
    attributes: applyWrites(
      state.attributes,
      Object.entries(pairs).map(([name, value]) => ({ name, value })),
      NOW,
    ),
  }),
});
const plan = (found: FoundId<VisitedProfile>[], visit = change()) => {
  const planned = planVisit(resolveIds(found, NOW), visit);
  if (planned.kind !== 'visit') throw new Error(`refused: ${JSON.stringify(planned.refusal)}`);
  return planned;
};

describe('planVisit: what a delivery visit writes', () => {
  test('a first visit of unknown ids creates a profile holding every id sent', () => {
    const first = plan([unknown(tnt('T')), unknown(ecid('E'))], change({ color: 'blue' }));
    assert.deepEqual([first.profile, first.absorbed], [null, []]);
    assert.deepEqual(first.link, [
      { ref: tnt('T'), from: null },
      { ref: ecid('E'), from: null },
    ]);
    assert.deepEqual([first.createdAt, first.modifiedAt, first.expiresAt], [NOW, NOW, NOW + 5000]);
    assert.equal(first.attributes.get('color')?.value, 'blue');
  });

  test('a returning visitor lands on its profile: createdAt kept, ids already on it not linked again', () => {
    const p = visited('P', { attributes: attrs({ a: ['1', 500] }), createdAt: 42 });
    const again = plan([known(tnt('T'), p), known(ecid('E'), p)]);
    assert.deepEqual([again.profile, again.link, again.createdAt, again.modifiedAt], [p, [], 42, 500]);
  });

  test("a login merges the anonymous device profile into the person's: the thirdPartyId profile wins per attribute with its modifiedAt", () => {
    const device = visited('PT', { attributes: attrs({ category: ['hats', 900], store: ['94103', 800] }) });
    const person = visited('PX', { identified: true, attributes: attrs({ category: ['skis', 10], tier: ['gold', 20] }) });
    const login = plan([known(tnt('T'), device), known(third('X'), person)]);
    assert.deepEqual([login.profile, login.absorbed, login.link], [person, [device], []]);
    assert.deepEqual(Object.fromEntries(login.attributes), {
      category: { value: 'skis', modifiedAt: 10 },
      tier: { value: 'gold', modifiedAt: 20 },
      store: { value: '94103', modifiedAt: 800 },
    });
  });

  test("a device of another person is re-pointed, never merged: that profile loses only the request's id", () => {
    const alice = visited('PY', { identified: true, attributes: attrs({ name: ['alice', 1] }) });
    const bob = visited('PX', { identified: true, attributes: attrs({ name: ['bob', 1] }) });
    const shared = plan([known(tnt('T'), alice), known(third('X'), bob)]);
    assert.deepEqual([shared.profile, shared.absorbed], [bob, []]);
    assert.deepEqual(shared.link, [{ ref: tnt('T'), from: alice }]);
    assert.equal(shared.attributes.get('name')?.value, 'bob');
  });

  test('a new person on a shared computer gets a new profile, and the device follows it', () => {
    const alice = visited('PY', { identified: true });
    const fresh = plan([known(tnt('T'), alice), unknown(third('X'))]);
    assert.deepEqual(
      [fresh.profile, fresh.link],
      [
        null,
        [
          { ref: tnt('T'), from: alice },
          { ref: third('X'), from: null },
        ],
      ],
    );
  });

  test('an expired profile counts as unknown: a new profile is created and the old one purged with its ids', () => {
    const old = visited('OLD', { expiresAt: NOW, attributes: attrs({ x: ['1', 1] }) });
    const again = plan([known(tnt('T'), old), known(ecid('E'), old)]);
    assert.deepEqual([again.profile, again.attributes.size], [null, 0]);
    assert.deepEqual(again.purge, [{ key: 'OLD', profile: old, refs: [tnt('T'), ecid('E')] }]);
  });

  test('a visit that would take the profile past 64 KB is refused whole, its merge included', () => {
    const device = visited('PT', { attributes: attrs({ a: ['x'.repeat(30_000), 1] }) });
    const person = visited('PX', { identified: true, attributes: attrs({ b: ['y'.repeat(30_000), 1] }) });
    const refused = planVisit(resolveIds([known(tnt('T'), device), known(third('X'), person)], NOW), change({ c: 'z'.repeat(6000) }));
    assert.deepEqual(refused, {
      kind: 'refused',
      purge: [],
      refusal: { reason: 'profile_too_large', bytes: 66_003 + SESSION_ATTRIBUTES_ROOM, maxBytes: DEFAULT_MAX_PROFILE_BYTES },
    });
  });

  test('a merge whose union would pass 64 KB leaves the anonymous profile as it is, its ids included: no id leaves its data', () => {
    const device = visited('PT', { attributes: attrs({ a: ['x'.repeat(40_000), 1] }) });
    const person = visited('PX', { identified: true, attributes: attrs({ b: ['y'.repeat(40_000), 1] }) });
    const login = plan([known(tnt('T'), device), known(ecid('E'), device), known(third('X'), person), unknown(ecid('NEW'))]);
    assert.deepEqual([login.profile, login.absorbed], [person, []]);
    assert.deepEqual(login.link, [{ ref: ecid('NEW'), from: null }], 'T and E stay on the device profile that holds their data');
  });

  test('session stamps never refuse a visit and never take it past the limit: callers leave them their room', () => {
    const fullForCallers = attrs({ a: ['x'.repeat(DEFAULT_MAX_PROFILE_BYTES - SESSION_ATTRIBUTES_ROOM - 1), 1] });
    assert.notEqual(planVisit(resolveIds([unknown(tnt('T'))], NOW), change({ b: 'y' })).kind, 'refused');
    const over = change({ a: 'x'.repeat(DEFAULT_MAX_PROFILE_BYTES - SESSION_ATTRIBUTES_ROOM) });
    assert.equal(planVisit(resolveIds([unknown(tnt('T'))], NOW), over).kind, 'refused', 'one byte into the room');
    const full = visited('P', { attributes: fullForCallers });
    const sessions: VisitChange = {
      ...change(),
      apply: (state) => {
        const visit = recordSessionVisit(state.attributes, state.session, 's1', NOW);
        return { attributes: visit.attributes, session: visit.session };
      },
    };
    const first = plan([known(tnt('T'), full)], sessions);
    assert.equal(first.attributes.get('sessionCount')?.value, '1');
    assert.ok(profileBytes(first.attributes) <= DEFAULT_MAX_PROFILE_BYTES, `${profileBytes(first.attributes)} bytes`);
    const later = plan([known(tnt('T'), { ...full, attributes: first.attributes, session: first.session })], {
      ...sessions,
      now: NOW + 10 ** 12,
      apply: (state) => recordSessionVisit(state.attributes, state.session, 's9', NOW + 10 ** 12),
    });
    assert.ok(profileBytes(later.attributes) <= DEFAULT_MAX_PROFILE_BYTES, 'a later session with longer stamps fits too');
    assert.deepEqual(first.session, { id: 's1', startedAt: NOW, lastSeenAt: NOW, previousVisitAt: null });
  });

  test('the change may throw to abandon the visit: nothing is planned', () => {
    const abandon: VisitChange = {
      ...change(),
      apply: () => {
        throw new Error('no');
      },
    };
    assert.throws(() => planVisit(resolveIds([unknown(tnt('T'))], NOW), abandon), /no/);
  });
});
