import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { profileNamesOf } from './script-runs.js';

describe('the profile attributes a script can read', () => {
  test('literal names are read from the source, so only those are handed to the sandbox', () => {
    assert.deepEqual(
      profileNamesOf('var t = profile.get(\'tier\'); return profile.param("city") + t + profile.sessionCount;'),
      new Set(['tier', 'city']),
    );
    assert.deepEqual(profileNamesOf('return 1'), new Set());
  });

  test('any other use of profile means every attribute may be read', () => {
    assert.equal(profileNamesOf("var n = 'ti' + 'er'; return profile.get(n);"), 'all');
    assert.equal(profileNamesOf('var g = profile.get; return g("tier");'), 'all');
    assert.equal(profileNamesOf("return profile['get']('tier');"), 'all');
  });
});
