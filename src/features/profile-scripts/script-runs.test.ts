import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { profileNamesOf, userNamesOf } from './script-runs.js';

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

describe('the user values a script can read', () => {
  test('literal user.get names, and the affinity names when read, are all that is handed over', () => {
    assert.deepEqual(
      userNamesOf("var n = Number(user.get('visits')) || 0; user.setLocal('k', user.getLocal('k')); return user.isNewSession ? n + 1 : n;"),
      new Set(['visits']),
    );
    assert.deepEqual(
      userNamesOf('return user.categoryAffinity + user.categoryAffinities.length + user.browserType;'),
      new Set(['categoryAffinity', 'categoryAffinities']),
    );
    assert.deepEqual(userNamesOf('return 1'), new Set());
  });

  test('any other use of user means every value may be read', () => {
    assert.equal(userNamesOf("var n = 'vis' + 'its'; return user.get(n);"), 'all');
    assert.equal(userNamesOf('var u = user; return u.get("visits");'), 'all');
    assert.equal(userNamesOf("return user['get']('visits');"), 'all');
    assert.equal(userNamesOf("return 'the user';"), 'all');
  });
});
