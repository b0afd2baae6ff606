// biome-ignore-all lint/suspicious/noTemplateCurlyInString: offers hold Target tokens, ${…} in plain strings
// biome-ignore-all lint/suspicious/noExplicitAny: the tests edit activity JSON freely to break it
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActivityValidationError, activityProblem, parseDateTime, readActivity, validateActivity } from './activity.js';

/** The activity of the wire contract's example, complete. */
export function springHero(): Record<string, unknown> {
  return {
    name: 'Spring hero',
    type: 'ab',
    state: 'live',
    priority: 10,
    startsAt: '2026-03-01T00:00:00Z',
    endsAt: null,
    audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
    experiences: [
      { id: 'A', name: 'Control', allocation: 50, offers: { hero: { type: 'html', content: '<h1>Spring</h1>', name: 'Hero A' } } },
      { id: 'B', name: 'Bold', allocation: 50, offers: { hero: { type: 'html', content: '<h1>Hi ${profile.name default="you"}</h1>' } } },
    ],
    metrics: [{ name: 'buy', type: 'click', location: 'buy-button' }],
  };
}

function refused(activity: unknown): string {
  try {
    validateActivity(activity);
  } catch (error) {
    assert.ok(error instanceof ActivityValidationError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_activity');
    return error.message;
  }
  assert.fail('the activity was accepted');
}

function changed(edit: (activity: Record<string, any>) => void): Record<string, unknown> {
  const activity = springHero();
  edit(activity);
  return activity;
}

describe('activity model', () => {
  test('the contract’s example is a valid activity; read-only fields sent back are ignored', () => {
    const activity = validateActivity({ ...springHero(), id: 'spring-hero', version: 3, modifiedAt: '2026-03-01T00:00:00Z' });
    assert.equal(activity.experiences[1]!.offers.hero!.type, 'html');
    assert.equal('version' in activity, false);
    assert.deepEqual(
      readActivity({ name: 'x', type: 'xt', state: 'draft', experiences: [] }).metrics,
      [],
      'metrics default to none, priority to 0',
    );
    assert.equal('audience' in validateActivity({ ...springHero(), audience: null }), false, 'a null audience is no audience');
  });

  test('the shape: every wrong field is named', () => {
    assert.equal(refused([]), 'an activity must be a JSON object');
    assert.match(refused(changed((a) => (a.audiance = true))), /^audiance is not a field of an activity/);
    assert.match(refused(changed((a) => (a.type = 'mvt'))), /^type must be one of "ab", "xt"/);
    assert.match(refused(changed((a) => (a.state = 'running'))), /^state must be one of/);
    assert.match(refused(changed((a) => (a.experiences[1].allocation = '50'))), /^experiences\[1\]\.allocation must be a number/);
    assert.match(
      refused(changed((a) => (a.experiences[0].offers.hero.type = 'image'))),
      /^experiences\[0\]\.offers\["hero"\]\.type must be one of/,
    );
    assert.match(refused(changed((a) => delete a.experiences[0].offers.hero.content)), /content is required/);
    assert.match(refused(changed((a) => (a.metrics[0].type = 'display'))), /^metrics\[0\]\.type must be one of "click"/);
  });

  test('allocations of an ab activity are shares in steps of 0.01 that sum to 100', () => {
    assert.match(
      refused(changed((a) => (a.experiences[1].allocation = 40))),
      /^experiences\[\]\.allocation must sum to 100 \(they sum to 90\)/,
    );
    assert.match(
      refused(changed((a) => (a.experiences[1].allocation = 50.001))),
      /^experiences\[1\]\.allocation must be a number from 0 to 100 in steps of 0\.01/,
    );
    assert.match(
      refused(changed((a) => delete a.experiences[0].allocation)),
      /^experiences\[0\]\.allocation is required in an ab activity/,
    );
    const thirds = changed((a) => {
      a.experiences.push({ id: 'C', allocation: 33.34, offers: { hero: { type: 'html', content: 'c' } } });
      a.experiences[0].allocation = 33.33;
      a.experiences[1].allocation = 33.33;
    });
    assert.doesNotThrow(() => validateActivity(thirds), '33.33 + 33.33 + 33.34 is 100 exactly');
  });

  test('xt experiences have audiences, not allocations; ab experiences the reverse', () => {
    const xt = changed((a) => {
      a.type = 'xt';
      for (const e of a.experiences) delete e.allocation;
      a.experiences[0].audience = { '==': [{ var: 'mbox.lang' }, 'fr'] };
    });
    assert.doesNotThrow(() => validateActivity(xt));
    assert.match(refused(changed((a) => (a.experiences[0].audience = true))), /^experiences\[0\]\.audience is only for xt activities/);
    assert.match(
      refused({ ...xt, experiences: [{ ...(xt.experiences as any[])[0], allocation: 50 }] }),
      /allocation is only for ab activities/,
    );
  });

  test('conditions may only use operators the engine knows', () => {
    assert.match(
      refused(changed((a) => (a.audience = { and: [true, { startsWith: [{ var: 'page.url' }, 'https'] }] }))),
      /^audience has an unknown operator "startsWith" at and\[1\]\.startsWith/,
    );
  });

  test('experience ids are unique and every experience has the same locations', () => {
    assert.match(refused(changed((a) => (a.experiences[1].id = 'A'))), /^experiences\[1\]\.id "A" is already the id of experiences\[0\]/);
    assert.match(refused(changed((a) => (a.experiences[1].id = 'B 2'))), /^experiences\[1\]\.id must be 1–64 letters/);
    assert.match(
      refused(changed((a) => (a.experiences[1].offers.banner = { type: 'html', content: 'x' }))),
      /^experiences\[1\]\.offers\["banner"\]: experiences\[0\] has no offer for this location/,
    );
    assert.match(
      refused(changed((a) => (a.experiences[0].offers.banner = { type: 'html', content: 'x' }))),
      /^experiences\[1\]\.offers has no offer for location "banner"/,
    );
    assert.match(refused(changed((a) => (a.experiences = []))), /^experiences must have at least one experience/);
  });

  test('offer content fits its type; tokens are well formed; redirects go to http(s) hosts', () => {
    assert.match(
      refused(changed((a) => (a.experiences[0].offers.hero = { type: 'json', content: '{"a":1}' }))),
      /content of a json offer must be an object or an array/,
    );
    assert.match(
      refused(changed((a) => (a.experiences[0].offers.hero = { type: 'html', content: { a: 1 } }))),
      /content of an html offer must be a string/,
    );
    assert.match(
      refused(changed((a) => (a.experiences[0].offers.hero.content = '${profile.name colour="red"}'))),
      /offers\["hero"\]\.content token .* unknown attribute colour/,
    );
    assert.match(
      refused(changed((a) => (a.experiences[0].offers.hero = { type: 'json', content: { t: '${user.x encode="rot13"}' } }))),
      /encode other than/,
    );
    for (const url of ['javascript:alert(1)', '//evil.example/', 'https://${mbox.host}/x']) {
      assert.match(
        refused(changed((a) => (a.experiences[0].offers.hero = { type: 'redirect', content: url }))),
        /absolute http\(s\) url with a literal host/,
        url,
      );
    }
    assert.doesNotThrow(() =>
      validateActivity(changed((a) => (a.experiences[0].offers.hero = { type: 'redirect', content: 'https://shop.example/?q=${mbox.q}' }))),
    );
  });

  test('priority is 0–999; dates are ISO 8601 with a time zone, endsAt after startsAt', () => {
    assert.match(refused(changed((a) => (a.priority = 1000))), /^priority must be a whole number from 0 to 999/);
    assert.match(refused(changed((a) => (a.priority = 1.5))), /^priority must be a whole number/);
    assert.match(refused(changed((a) => (a.startsAt = '2026-03-01'))), /^startsAt must be an ISO 8601 date-time with a time zone/);
    assert.match(refused(changed((a) => (a.startsAt = '2026-02-30T00:00:00Z'))), /^startsAt must be an ISO 8601/);
    assert.match(refused(changed((a) => (a.endsAt = '2026-03-01T01:00:00+02:00'))), /^endsAt must be later than startsAt/);
    assert.equal(parseDateTime('2026-03-01T01:30:00+01:30'), Date.UTC(2026, 2, 1, 0, 0));
    assert.equal(parseDateTime('2026-03-01T00:00Z'), Date.UTC(2026, 2, 1));
  });

  test('metric names are unique and name a location', () => {
    assert.match(
      refused(changed((a) => a.metrics.push({ name: 'buy', type: 'click', location: 'x' }))),
      /^metrics\[1\]\.name "buy" is already the name/,
    );
    assert.match(refused(changed((a) => (a.metrics[0].location = ''))), /^metrics\[0\]\.location must be a non-empty string/);
  });

  test('each rule is a plain function of a shaped activity', () => {
    const shaped = readActivity(changed((a) => (a.priority = -1)));
    assert.equal(activityProblem(shaped), 'priority must be a whole number from 0 to 999');
  });
});
