// biome-ignore-all lint/suspicious/noTemplateCurlyInString: offers hold Target tokens, ${…} in plain strings
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  bindStatic,
  compileJsonContent,
  type OfferType,
  parseTemplate,
  renderTemplate,
  type StaticTokenValues,
  templateProblem,
  type VisitTokenValues,
} from './tokens.js';

const ACTIVITY: StaticTokenValues = {
  activityId: 'spring-hero',
  activityName: 'Spring <hero>',
  experienceId: 'B',
  experienceName: 'Bold',
  offerId: 'spring-hero.B.hero',
  offerName: 'Hero B',
};

function visit(attributes: Record<string, string>, more: Partial<VisitTokenValues> = {}): VisitTokenValues {
  return { attributes: new Map(Object.entries(attributes)), tntId: 'tnt-1', sessionId: 's-1', location: 'hero', ...more };
}

function render(text: string, values: VisitTokenValues, type: OfferType = 'html'): string {
  return renderTemplate(bindStatic(parseTemplate(text), ACTIVITY, type), values, type);
}

describe('offer tokens', () => {
  test('a profile value is inserted into an html offer, HTML-escaped', () => {
    assert.equal(
      render('<p>Hi ${profile.name}!</p>', visit({ name: `<b>Bob</b> & 'Al' "x"` })),
      '<p>Hi &lt;b&gt;Bob&lt;/b&gt; &amp; &#39;Al&#39; &quot;x&quot;!</p>',
    );
    assert.equal(
      render('<p>${profile.name encode="none"}</p>', visit({ name: '<b>Bob</b>' })),
      '<p><b>Bob</b></p>',
      'encode="none" opts out',
    );
  });

  test('default replaces a missing or blank value, show_blank keeps the blank', () => {
    const text = 'Shop ${profile.category default="All <i>items</i>"}';
    assert.equal(render(text, visit({})), 'Shop All <i>items</i>', "the default is the author's text, written as it is");
    assert.equal(render(text, visit({ category: '  ' })), 'Shop All <i>items</i>');
    assert.equal(render('[${profile.category default="All" show_blank="true"}]', visit({ category: ' ' })), '[ ]');
    assert.equal(render('[${profile.category default="All" show_blank="true"}]', visit({})), '[All]', 'missing is not blank');
    assert.equal(render('[${profile.category}]', visit({})), '[]', 'no default: nothing');
  });

  test('encode="escape" and "unescape" are JavaScript escape and unescape', () => {
    assert.equal(render('${mbox.q encode="escape"}', visit({}, { parameters: { q: "l'été & <b>" } })), 'l%27%E9t%E9%20%26%20%3Cb%3E');
    assert.equal(
      render('${mbox.q encode="unescape"}', visit({}, { parameters: { q: 'a%20%3Cb%3E' } })),
      'a &lt;b&gt;',
      'unescaped, then HTML-escaped',
    );
  });

  test('user, mbox and the activity’s own tokens', () => {
    const values = visit({ 'user.lifetimeSpend': '120' }, { parameters: { color: 'blue', n: 3 }, isFirstSession: true });
    assert.equal(
      render('${user.pcId}|${user.sessionId}|${user.isFirstSession}|${user.lifetimeSpend}|${mbox.color}|${mbox.n}|${mbox.name}', values),
      'tnt-1|s-1|true|120|blue|3|hero',
    );
    assert.equal(
      render('${campaign.name}/${activity.id}/${campaign.recipe.id}/${experience.name}/${offer.name}/${offer.id}', values),
      'Spring &lt;hero&gt;/spring-hero/B/Bold/Hero B/spring-hero.B.hero',
    );
  });

  test('other ${…} are not tokens: JavaScript template literals stay as they are', () => {
    const script = '<script>const p = `${price} ${window.location}`; x = "${}";</script>';
    assert.equal(render(script, visit({})), script);
  });

  test('a redirect offer percent-encodes values: they cannot add parameters or change the host', () => {
    assert.equal(
      render('https://shop.example/search?q=${mbox.q}&from=pe', visit({}, { parameters: { q: 'a&b=c/../@evil.example' } }), 'redirect'),
      'https://shop.example/search?q=a%26b%3Dc%2F..%2F%40evil.example&from=pe',
    );
  });

  test('a json offer renders tokens inside its strings; a value never leaves its string', () => {
    const renderer = compileJsonContent(
      { greeting: 'Hi ${profile.name}', tags: ['${campaign.recipe.id}', 1], fixed: { a: true } },
      ACTIVITY,
    );
    assert.equal(renderer.constant, false);
    const rendered = renderer.render(visit({ name: '"}, "admin": true, "x": "' }));
    assert.deepEqual(JSON.parse(JSON.stringify(rendered)), {
      greeting: 'Hi "}, "admin": true, "x": "',
      tags: ['B', 1],
      fixed: { a: true },
    });
    for (const content of [{ a: [1, { b: 'no tokens' }] }, { a: 'By ${activity.name}' }]) {
      const fixed = compileJsonContent(content, ACTIVITY);
      assert.equal(fixed.constant, true);
      assert.equal(fixed.render(visit({})), fixed.render(visit({})), 'content without visitor tokens is one shared, frozen value');
      assert.ok(Object.isFrozen(fixed.render(visit({}))));
    }
    assert.deepEqual(compileJsonContent({ a: 'By ${activity.name}' }, ACTIVITY).render(visit({})), { a: 'By Spring <hero>' });
  });

  test('a malformed token of a known namespace is refused, naming it', () => {
    assert.equal(templateProblem('Hi ${profile.name default="you"} ${notAToken}'), null);
    assert.match(templateProblem('${profile.name colour="red"}')!, /unknown attribute colour/);
    assert.match(templateProblem('${profile.name encode="base64"}')!, /encode other than/);
    assert.match(templateProblem('${profile.name show_blank="yes"}')!, /show_blank other than/);
    assert.match(templateProblem('${profile.name default="a" default="b"}')!, /repeats default/);
    assert.match(templateProblem('Hi ${profile.name default="unterminated}')!, /malformed token at character 3/);
  });

  test('whatever the value, an html offer keeps its own markup only', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (name, city) => {
        const out = render('<p class="x">${profile.name}, ${profile.city default="?"}</p>', visit({ name, city }));
        const inserted = out.slice('<p class="x">'.length, -'</p>'.length);
        assert.doesNotMatch(inserted, /[<>"']/);
        assert.ok(out.startsWith('<p class="x">') && out.endsWith('</p>'));
      }),
    );
  });
});
