// biome-ignore-all lint/suspicious/noTemplateCurlyInString: offers hold Target tokens, ${…} in plain strings
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Activity, type StoredActivity, validateActivity } from './activity.js';
import { allocationBucket } from './allocation.js';
import { compileActivities } from './compiled-activities.js';
import { decide, type LocationRequest, type Visit } from './decide.js';
import { verifyEventToken } from './event-tokens.js';

export const KEY = 'decide-tests-event-token-key-000000';
const CLIENT = 'shop';
const NOW = Date.UTC(2026, 5, 1, 12);

export function stored(id: string, activity: Record<string, unknown>, version = 1): StoredActivity {
  return { ...validateActivity(activity), id, version };
}

function html(content: string) {
  return { type: 'html', content };
}

function ab(name: string, extra: Partial<Record<keyof Activity, unknown>> = {}): Record<string, unknown> {
  return {
    name,
    type: 'ab',
    state: 'live',
    experiences: [
      { id: 'A', name: 'Control', allocation: 50, offers: { hero: html(`${name} A`) } },
      { id: 'B', name: 'Bold', allocation: 50, offers: { hero: html(`${name} B`) } },
    ],
    ...extra,
  };
}

function visit(tntId: string, attributes: Record<string, string> = {}, more: Partial<Visit> = {}): Visit {
  return { ids: { tntId }, sessionId: 'session-1', attributes: new Map(Object.entries(attributes)), now: NOW, ...more };
}

const hero: LocationRequest = { mode: 'execute', kind: 'mbox', name: 'hero', index: 0 };

function decideOne(activities: StoredActivity[], v: Visit, request: LocationRequest = hero, responseTokens?: string[]) {
  const index = compileActivities(activities, { client: CLIENT, eventTokenKey: KEY });
  return decide(index, v, [request], responseTokens ? { responseTokens } : {}).answers[0]!;
}

describe('decide', () => {
  test('an ab activity shows each visitor the experience of their bucket, the same on every call', () => {
    const activities = [stored('spring', ab('Spring'))];
    const seen = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const tntId = `visitor-${i}`;
      const answer = decideOne(activities, visit(tntId));
      const expected = allocationBucket(CLIENT, 'spring', tntId) < 5000 ? 'A' : 'B';
      assert.equal(answer.decision?.experienceId, expected);
      assert.deepEqual(answer.options[0]!.content, `Spring ${expected}`);
      assert.deepEqual(decideOne(activities, visit(tntId)).decision, answer.decision, 'sticky');
      seen.set(expected, (seen.get(expected) ?? 0) + 1);
    }
    assert.ok(seen.get('A')! > 150 && seen.get('B')! > 150, `a fair split: ${[...seen]}`);
  });

  test('the ECID decides the bucket before the tntId, and the location hint does not count', () => {
    const activities = [stored('spring', ab('Spring'))];
    const byEcid = decideOne(activities, { ...visit('t1.28_0'), ids: { tntId: 't1.28_0', marketingCloudVisitorId: 'ecid-9' } });
    assert.equal(byEcid.decision?.experienceId, allocationBucket(CLIENT, 'spring', 'ecid-9') < 5000 ? 'A' : 'B');
    assert.deepEqual(decideOne(activities, visit('t1.28_0')).decision, decideOne(activities, visit('t1')).decision);
  });

  test('the audience admits visitors by their profile after this request’s writes', () => {
    const activities = [stored('gold', ab('Gold', { audience: { '==': [{ var: 'profile.tier' }, 'gold'] } }))];
    assert.equal(decideOne(activities, visit('v', { tier: 'gold' })).options.length, 1);
    assert.deepEqual(decideOne(activities, visit('v', { tier: 'silver' })).options, [], 'no activity: no option');
  });

  test('the highest priority wins a location; equal priorities go by activity id', () => {
    const low = stored('aaa-low', ab('Low', { priority: 1 }));
    const high = stored('zzz-high', ab('High', { priority: 5 }));
    assert.equal(decideOne([low, high], visit('v')).decision?.activityId, 'zzz-high');
    const tie = stored('bbb', ab('Tie', { priority: 1 }));
    assert.equal(decideOne([tie, low], visit('v')).decision?.activityId, 'aaa-low');
  });

  test('only live activities decide, and only between startsAt (inclusive) and endsAt (exclusive)', () => {
    const windowed = (start: string | null, end: string | null, state = 'live') => [
      stored('w', ab('W', { startsAt: start, endsAt: end, state })),
    ];
    assert.ok(decideOne(windowed('2026-06-01T12:00:00Z', null), visit('v')).decision, 'from startsAt on');
    assert.equal(decideOne(windowed('2026-06-01T12:00:01Z', null), visit('v')).decision, undefined);
    assert.equal(decideOne(windowed(null, '2026-06-01T12:00:00Z'), visit('v')).decision, undefined, 'not at endsAt');
    for (const state of ['draft', 'paused', 'archived'])
      assert.equal(decideOne(windowed(null, null, state), visit('v')).decision, undefined, state);
  });

  test('an xt activity gives the first matching experience; none matching lets the next activity decide', () => {
    const xt = stored('lang', {
      name: 'By language',
      type: 'xt',
      state: 'live',
      priority: 9,
      experiences: [
        { id: 'fr', audience: { '==': [{ var: 'mbox.lang' }, 'fr'] }, offers: { hero: html('Bonjour') } },
        { id: 'fr-or-de', audience: { in: [{ var: 'mbox.lang' }, ['fr', 'de']] }, offers: { hero: html('Hallo') } },
      ],
    });
    const fallback = stored('fallback', ab('Fallback'));
    const at = (lang: string) => decideOne([xt, fallback], visit('v'), { ...hero, parameters: { lang } });
    assert.equal(at('fr').options[0]!.content, 'Bonjour');
    assert.equal(at('de').options[0]!.content, 'Hallo');
    assert.equal(at('en').decision?.activityId, 'fallback');
  });

  test('prefetched options carry a display token; click metrics carry click tokens in both modes', () => {
    const activity = stored('buy', ab('Buy', { metrics: [{ name: 'purchase', type: 'click', location: 'buy-button' }] }), 7);
    const prefetched = decideOne([activity], visit('v'), { ...hero, mode: 'prefetch' });
    const experienceId = prefetched.decision!.experienceId;
    assert.deepEqual(verifyEventToken(prefetched.options[0]!.eventToken!, KEY), {
      client: CLIENT,
      activityId: 'buy',
      activityVersion: 7,
      experienceId,
      kind: 'display',
    });
    const executed = decideOne([activity], visit('v'));
    assert.equal(executed.options[0]!.eventToken, undefined, 'an executed option is counted at decision time');
    for (const answer of [prefetched, executed]) {
      assert.equal(answer.metrics?.length, 1);
      assert.deepEqual(verifyEventToken(answer.metrics![0]!.eventToken, KEY), {
        client: CLIENT,
        activityId: 'buy',
        activityVersion: 7,
        experienceId,
        kind: 'click',
        metric: 'purchase',
      });
    }
  });

  test('response tokens: the defaults, or the client’s list with profile, user, geo and session values', () => {
    const activity = stored('spring', ab('Spring'));
    const answer = decideOne([activity], visit('v'));
    const experience = answer.decision!.experienceId;
    assert.deepEqual(answer.options[0]!.responseTokens, {
      'activity.id': 'spring',
      'activity.name': 'Spring',
      'experience.id': experience,
      'experience.name': experience === 'A' ? 'Control' : 'Bold',
      'offer.id': `spring.${experience}.hero`,
      'offer.name': `spring.${experience}.hero`,
      'option.id': `spring.${experience}.hero`,
      'option.name': `spring.${experience}.hero`,
      'activity.decisioningMethod': 'server-side',
    });
    const custom = decideOne(
      [activity],
      visit(
        'v',
        { tier: 'gold', 'user.spend': '12' },
        {
          context: { geo: { city: 'Lyon', latitude: 45.76 } },
          facts: { isFirstSession: true, isNewSession: true, daysSinceLastVisit: null, sessionCount: 1 },
        },
      ),
      hero,
      [
        'activity.id',
        'profile.tier',
        'profile.missing',
        'user.spend',
        'geo.city',
        'geo.latitude',
        'profile.isFirstSession',
        'profile.daysSinceLastVisit',
        'profile.tntId',
      ],
    );
    assert.deepEqual(custom.options[0]!.responseTokens, {
      'activity.id': 'spring',
      'profile.tier': 'gold',
      'user.spend': '12',
      'geo.city': 'Lyon',
      'geo.latitude': 45.76,
      'profile.isFirstSession': 'true',
      'profile.tntId': 'v',
    });
  });

  test('offer tokens are rendered for the visitor, HTML-escaped', () => {
    const activity = stored('hi', {
      name: 'Hi',
      type: 'xt',
      state: 'live',
      experiences: [{ id: 'all', offers: { hero: html('<p>Hi ${profile.name default="you"}, ${mbox.city}</p>') } }],
    });
    const answer = decideOne([activity], visit('v', { name: '<script>x</script>' }), { ...hero, parameters: { city: 'Lyon & Co' } });
    assert.equal(answer.options[0]!.content, '<p>Hi &lt;script&gt;x&lt;/script&gt;, Lyon &amp; Co</p>');
  });

  test('page load, mboxes and views are locations; a view request without a name gets every decided view', () => {
    const activity = stored('views', {
      name: 'Views',
      type: 'xt',
      state: 'live',
      experiences: [{ id: 'all', offers: { 'target-global-mbox': html('page'), 'view:home': html('home'), 'view:cart': html('cart') } }],
    });
    const index = compileActivities([activity], { client: CLIENT, eventTokenKey: KEY });
    const { answers } = decide(index, visit('v'), [
      { mode: 'execute', kind: 'pageLoad' },
      { mode: 'prefetch', kind: 'view', name: 'home' },
      { mode: 'prefetch', kind: 'view' },
      { mode: 'execute', kind: 'mbox', name: 'elsewhere', index: 3 },
    ]);
    assert.deepEqual(
      answers.map((a) => [a.location, a.options.map((o) => o.content)]),
      [
        ['target-global-mbox', ['page']],
        ['view:home', ['home']],
        ['view:cart', ['cart']],
        ['view:home', ['home']],
        ['elsewhere', []],
      ],
    );
  });

  test('a condition that fails on data it cannot handle does not match and is reported', () => {
    const missingList = stored('odd', ab('Odd', { audience: { missing_some: [1, { var: 'mbox.list' }] } }));
    const noString = stored('odd', ab('Odd', { audience: { '==': [{ var: 'mbox.x' }, 'a'] } }));
    for (const [activity, parameters] of [
      [missingList, {}],
      [noString, { 'x.toString': '1' }],
    ] as const) {
      const index = compileActivities([activity], { client: CLIENT, eventTokenKey: KEY });
      const { answers, conditionFailures } = decide(index, visit('v'), [{ ...hero, parameters }]);
      assert.deepEqual(answers[0]!.options, []);
      assert.equal(conditionFailures.length, 1);
      assert.equal(conditionFailures[0]!.activityId, 'odd');
    }
  });
});
