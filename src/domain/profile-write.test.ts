import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConflictError } from '../errors.js';
import { type AttributeMap, applyWrites, ProfileTooLargeError, SESSION_ATTRIBUTES_ROOM } from './attributes.js';
import type { VisitorIdRef } from './identity.js';
import {
  DEFAULT_MAX_PROFILE_BYTES,
  type FoundId,
  type ProfileRead,
  type ProfileWrite,
  planProfileWrite,
  refusalError,
  refusalMessage,
  resolveIds,
  tooLarge,
} from './profile-write.js';

const NOW = 10_000;
const tnt = (value: string): VisitorIdRef => ({ kind: 'tntId', value });
const third = (value: string): VisitorIdRef => ({ kind: 'thirdPartyId', value });

function attrs(entries: Record<string, [string, number]>): AttributeMap {
  return new Map(Object.entries(entries).map(([name, [value, modifiedAt]]) => [name, { value, modifiedAt }]));
}
const profile = (key: string, expiresAt: number, attributes: AttributeMap = new Map(), createdAt = 100): ProfileRead => ({
  key,
  createdAt,
  expiresAt,
  attributes,
});
const known = (ref: VisitorIdRef, p: ProfileRead): FoundId<ProfileRead> => ({ ref, key: p.key, profile: p });
const unknown = (ref: VisitorIdRef): FoundId<ProfileRead> => ({ ref, key: undefined, profile: undefined });
const setting = (pairs: Record<string, string>, create = false, maxProfileBytes?: number): ProfileWrite => ({
  now: NOW,
  expiresAt: NOW + 1000,
  create,
  maxProfileBytes,
  apply: (existing) =>
    applyWrites(
      existing,
      Object.entries(pairs).map(([name, value]) => ({ name, value })),
      NOW,
    ),
});
const plan = (found: FoundId<ProfileRead>[], write: ProfileWrite) => planProfileWrite(resolveIds(found, NOW), write);

describe('planProfileWrite: a write through the profile APIs', () => {
  test('a single update of a known profile sets its values, keeps createdAt, and stamps modifiedAt and the expiry', () => {
    const p = profile('P', NOW + 1, attrs({ tier: ['silver', 50], city: ['Lyon', 60] }));
    const written = plan([known(tnt('T'), p)], setting({ tier: 'gold' }));
    assert.equal(written.kind, 'write');
    if (written.kind !== 'write') return;
    assert.equal(written.profile, p);
    assert.deepEqual(written.link, []);
    assert.deepEqual(written.purge, []);
    assert.deepEqual(
      [...written.attributes],
      [
        ['tier', { value: 'gold', modifiedAt: NOW }],
        ['city', { value: 'Lyon', modifiedAt: 60 }],
      ],
    );
    assert.deepEqual([written.createdAt, written.modifiedAt, written.expiresAt], [100, NOW, NOW + 1000]);
    assert.equal(p.attributes.get('tier')!.value, 'silver', 'what the store read is not modified');
  });

  test('rewriting the value a profile already holds changes nothing: modifiedAt stays the latest change', () => {
    const p = profile('P', NOW + 1, attrs({ tier: ['gold', 50] }));
    const written = plan([known(tnt('T'), p)], setting({ tier: 'gold' }));
    assert.deepEqual(written.kind === 'write' && [written.attributes.get('tier'), written.modifiedAt], [
      { value: 'gold', modifiedAt: 50 },
      50,
    ]);
  });

  test('an update-only write (single update, v1 batch) to an unknown id finds nothing and creates nothing', () => {
    assert.deepEqual(plan([unknown(tnt('T'))], setting({ a: '1' })), { kind: 'not-found', purge: [] });
  });

  test('a creating write (admin, v2 batch) of unknown ids creates one profile linking every id, created and modified now', () => {
    const created = plan([unknown(tnt('T')), unknown(third('X'))], setting({ a: '1' }, true));
    assert.equal(created.kind, 'write');
    if (created.kind !== 'write') return;
    assert.equal(created.profile, null);
    assert.deepEqual(created.link, [tnt('T'), third('X')]);
    assert.deepEqual([created.createdAt, created.modifiedAt, created.expiresAt], [NOW, NOW, NOW + 1000]);
  });

  test('a new profile without attributes is modified when it was created', () => {
    const created = plan([unknown(tnt('T'))], setting({}, true));
    assert.deepEqual(created.kind === 'write' && [created.createdAt, created.modifiedAt], [NOW, NOW]);
  });

  test("unknown ids of the request join the known id's profile", () => {
    const p = profile('P', NOW + 1);
    const written = plan([unknown(third('X')), known(tnt('T'), p)], setting({ a: '1' }));
    assert.deepEqual(written.kind === 'write' && [written.profile, written.link], [p, [third('X')]]);
  });

  test('ids of two different live profiles are refused as a conflict: the profile APIs never merge', () => {
    const refused = plan([known(tnt('T1'), profile('P1', NOW + 1)), known(tnt('T2'), profile('P2', NOW + 1))], setting({ a: '1' }, true));
    assert.deepEqual(refused, { kind: 'refused', purge: [], refusal: { reason: 'ids_conflict' } });
    assert.ok(refusalError({ reason: 'ids_conflict' }) instanceof ConflictError);
  });

  test('two ids of the same profile are one visitor, not a conflict', () => {
    const p = profile('P', NOW + 1);
    assert.equal(plan([known(tnt('T'), p), known(third('X'), p)], setting({ a: '1' })).kind, 'write');
  });

  test('the change may throw to abandon the write: nothing is planned', () => {
    const abandon: ProfileWrite = {
      ...setting({}),
      apply: () => {
        throw new Error('attribute absent');
      },
    };
    assert.throws(() => plan([known(tnt('T'), profile('P', NOW + 1))], abandon), /attribute absent/);
  });
});

describe('resolveIds: expired means unknown, and purged', () => {
  test('an expired profile is unknown to an update-only write, and is purged with the ids that named it', () => {
    const old = profile('OLD', NOW, attrs({ a: ['1', 1] }));
    assert.deepEqual(plan([known(tnt('T'), old), known(third('X'), old)], setting({ a: '2' })), {
      kind: 'not-found',
      purge: [{ key: 'OLD', profile: old, refs: [tnt('T'), third('X')] }],
    });
  });

  test('a creating write to the id of an expired profile starts afresh: nothing of it survives', () => {
    const old = profile('OLD', NOW - 1, attrs({ stale: ['s', 1] }), 5);
    const fresh = plan([known(tnt('T'), old)], setting({ a: '2' }, true));
    assert.equal(fresh.kind, 'write');
    if (fresh.kind !== 'write') return;
    assert.deepEqual([fresh.profile, fresh.link, fresh.createdAt], [null, [tnt('T')], NOW]);
    assert.deepEqual([...fresh.attributes.keys()], ['a']);
    assert.deepEqual(
      fresh.purge.map((p) => p.key),
      ['OLD'],
    );
  });

  test('an id whose profile row is gone counts as unknown, and its dangling id row is purged', () => {
    const dangling: FoundId<ProfileRead> = { ref: tnt('T'), key: 'GONE', profile: undefined };
    assert.deepEqual(resolveIds([dangling], NOW), {
      ids: [{ ref: tnt('T'), profile: null }],
      purge: [{ key: 'GONE', profile: undefined, refs: [tnt('T')] }],
    });
  });

  test('a profile is live until the instant it expires', () => {
    const p = profile('P', NOW + 1);
    assert.deepEqual(resolveIds([known(tnt('T'), p)], NOW), { ids: [{ ref: tnt('T'), profile: p }], purge: [] });
    assert.equal(resolveIds([known(tnt('T'), p)], NOW + 1).ids[0]!.profile, null);
  });
});

describe('the 64 KB limit', () => {
  const LIMIT = DEFAULT_MAX_PROFILE_BYTES;
  const near = (bytes: number) => attrs({ a: ['x'.repeat(bytes - 1), 1] }); // name 'a' + value

  test('a write that brings the profile to exactly 64 KB, session room included, is applied; one byte more is refused whole, naming the limit', () => {
    const p = profile('P', NOW + 1, near(LIMIT - SESSION_ATTRIBUTES_ROOM - 3));
    assert.equal(plan([known(tnt('T'), p)], setting({ b: 'yy' })).kind, 'write', 'b + yy = 3 bytes: 65,408 + 128 in all');
    const refused = plan([known(tnt('T'), p)], setting({ b: 'yyy' }));
    assert.deepEqual(refused, { kind: 'refused', purge: [], refusal: { reason: 'profile_too_large', bytes: LIMIT + 1, maxBytes: LIMIT } });
    if (refused.kind !== 'refused') return;
    assert.equal(
      refusalMessage(refused.refusal),
      'profile would hold 65537 bytes of attribute data (128 of them kept for the session attributes), over the 65536-byte (64 KB) limit; nothing was written',
    );
    assert.ok(refusalError(refused.refusal) instanceof ProfileTooLargeError);
  });

  test('bytes are UTF-8 bytes of names and values', () => {
    const writes = setting({ a: 'é'.repeat(2000) }, true, 4001 + SESSION_ATTRIBUTES_ROOM); // 1 + 4000 bytes
    assert.equal(plan([unknown(tnt('T'))], writes).kind, 'write');
    assert.equal(plan([unknown(tnt('T'))], { ...writes, maxProfileBytes: 4000 + SESSION_ATTRIBUTES_ROOM }).kind, 'refused');
  });

  test('a creating write over the limit creates nothing', () => {
    const refused = plan([unknown(tnt('T'))], setting({ a: 'x'.repeat(LIMIT) }, true));
    assert.equal(refused.kind, 'refused');
  });

  test('a profile already over the limit (a lower limit, a merge) may still shrink, or be rewritten at its size', () => {
    const p = profile('P', NOW + 1, attrs({ a: ['x'.repeat(100), 1], b: ['y'.repeat(100), 1] }));
    const shrink: ProfileWrite = { ...setting({}, false, 50), apply: (existing) => new Map([...existing].slice(1)) };
    assert.equal(plan([known(tnt('T'), p)], shrink).kind, 'write');
    assert.equal(plan([known(tnt('T'), p)], setting({ a: 'z'.repeat(100) }, false, 50)).kind, 'write', 'same size');
    assert.equal(plan([known(tnt('T'), p)], setting({ a: 'z'.repeat(101) }, false, 50)).kind, 'refused', 'one byte more');
  });

  test('attributes the server keeps itself (session counters) never make a write too large: their room is kept free', () => {
    const before = near(LIMIT - 10);
    const stamped = new Map(before).set('firstSessionStart', { value: String(NOW), modifiedAt: NOW });
    assert.equal(tooLarge(before, stamped, LIMIT), null);
    assert.notEqual(tooLarge(before, new Map(stamped).set('c', { value: 'd', modifiedAt: NOW }), LIMIT), null);
  });
});
