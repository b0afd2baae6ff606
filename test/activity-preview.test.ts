import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { admin, startTestServer, type TestServer } from './support/server.js';

/**
 * The activity preview (docs/decisioning.md#preview): what a visitor would see at a location and
 * why, decided as Delivery decides, with nothing written or counted.
 */
let server: TestServer;

before(async () => {
  server = await startTestServer();
  const put = (id: string, body: object) => admin(server, 'PUT', `/admin/v1/clients/demo/activities/${id}`, body);
  assert.equal(
    (
      await put('hero-test', {
        name: 'Hero test',
        type: 'ab',
        state: 'live',
        priority: 1,
        experiences: [
          { id: 'A', allocation: 50, offers: { hero: { type: 'html', content: 'control' } } },
          { id: 'B', allocation: 50, offers: { hero: { type: 'html', content: 'spring' } } },
        ],
        metrics: [{ name: 'buy', type: 'click', location: 'buy' }],
      })
    ).status,
    201,
  );
  assert.equal(
    (
      await put('gold-banner', {
        name: 'Gold banner',
        type: 'xt',
        state: 'live',
        priority: 5,
        audience: { '==': [{ var: 'profile.tier' }, 'gold'] },
        experiences: [{ id: 'gold', offers: { banner: { type: 'html', content: 'gold!' } } }],
        metrics: [],
      })
    ).status,
    201,
  );
  await admin(server, 'POST', '/admin/v1/clients/demo/profiles', { tntId: 'silver-1', attributes: { tier: 'silver' } });
});
after(() => server.dispose());

interface PreviewAnswer {
  visitor: { known: boolean; ids: Record<string, string[]> };
  locations: Array<{
    location: string;
    activityId: string | null;
    experienceId: string | null;
    offer: { content: unknown } | null;
    reason: string;
  }>;
}

async function preview(body: object): Promise<{ status: number; body: PreviewAnswer & { message?: string } }> {
  const response = await admin(server, 'POST', '/admin/v1/clients/demo/activities/preview', body);
  return { status: response.status, body: (await response.json()) as PreviewAnswer & { message?: string } };
}

async function impressions(): Promise<number> {
  const report = (await (await admin(server, 'GET', '/admin/v1/clients/demo/activities/hero-test/report')).json()) as {
    experiences: Array<{ impressions: number }>;
  };
  return report.experiences.reduce((sum, e) => sum + e.impressions, 0);
}

test('an ab visitor is shown the experience Delivery then gives them, with the bucket that chose it, and nothing is counted', async () => {
  let deliveries = 0;
  for (const tntId of ['preview-a', 'preview-b', 'preview-c', 'preview-d']) {
    const seen = await preview({ tntId, locations: ['hero'] });
    assert.equal(seen.status, 200);
    const [hero] = seen.body.locations;
    assert.equal(hero?.activityId, 'hero-test');
    assert.match(hero!.reason, new RegExp(`bucket \\d+ of 10000 falls in experience '${hero!.experienceId}'`));
    assert.equal(seen.body.visitor.known, false);
    assert.equal(await impressions(), deliveries, 'a preview counts no impression');
    assert.equal(
      (await admin(server, 'GET', `/admin/v1/clients/demo/profiles/tntId/${tntId}`)).status,
      404,
      'a preview creates no profile',
    );

    const delivered = await server.fetch('/rest/v1/delivery?client=demo&sessionId=p1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ context: { channel: 'web' }, id: { tntId }, execute: { mboxes: [{ index: 0, name: 'hero' }] } }),
    });
    deliveries++;
    const answer = (await delivered.json()) as { execute: { mboxes: Array<{ options: Array<{ content: unknown }> }> } };
    assert.deepEqual(answer.execute.mboxes[0]?.options[0]?.content, hero?.offer?.content);
  }
});

test('an xt audience: the stored silver visitor is told why they get nothing, and a sample gold parameter wins without being stored', async () => {
  const silver = await preview({ tntId: 'silver-1', locations: ['banner'] });
  assert.equal(silver.body.visitor.known, true);
  assert.deepEqual(silver.body.locations[0]?.activityId, null);
  assert.match(silver.body.locations[0]!.reason, /gold-banner.*audience does not admit the visitor.*default content/);

  const gold = await preview({ tntId: 'silver-1', locations: ['banner', 'nowhere'], profileParameters: { tier: 'gold' } });
  assert.equal(gold.body.locations[0]?.experienceId, 'gold');
  assert.match(gold.body.locations[0]!.reason, /experience 'gold' is the first whose audience admits the visitor/);
  assert.match(gold.body.locations[1]!.reason, /No live activity offers 'nowhere'/);
  const stored = (await (await admin(server, 'GET', '/admin/v1/clients/demo/profiles/tntId/silver-1')).json()) as {
    profileAttributes: Record<string, { value: string }>;
  };
  assert.equal(stored.profileAttributes.tier?.value, 'silver');
});

test('a preview naming two ids, or no location, is refused with a message', async () => {
  const two = await preview({ tntId: 'a', thirdPartyId: 'b', locations: ['hero'] });
  assert.equal(two.status, 400);
  assert.match(two.body.message ?? '', /at most one of tntId, thirdPartyId/);
  const none = await preview({ tntId: 'a', locations: [] });
  assert.equal(none.status, 400);
  assert.match(none.body.message ?? '', /locations/);
});
