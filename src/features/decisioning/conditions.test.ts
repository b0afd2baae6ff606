import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  artifactOf,
  atFixedTime,
  createEngine,
  type EngineRule,
  type Json,
  oracleRuns,
  networkAttempts,
} from '../../../test/support/decisioning-engine.js';
import { allocationValue } from './allocation.js';
import { compileCondition, compileExpression, conditionProblem, conditionReads } from './conditions.js';
import { buildDecisionContext, contextForLocation, type DeliveryContext, withAllocation } from './context.js';

const CLIENT = 'logicclient';
const VISITOR = 'visitor-7';
const NOW = Date.UTC(2026, 4, 14, 16, 45);
const DELIVERY_CONTEXT: DeliveryContext = {
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  address: { url: 'https://www.Example.com/Shoes/?Size=42#top', referringUrl: 'https://search.example.org/?q=shoes' },
  geo: { countryCode: 'FR', city: 'Lyon' },
};

function rule(index: number, condition: Json): EngineRule {
  return {
    ruleKey: `r${index}`,
    activityId: index,
    condition,
    consequence: { name: `m${index}`, options: [{ type: 'html', content: 'matched' }], metrics: [] },
    meta: { 'activity.id': index, 'audience.ids': [] },
  };
}

type Verdict = boolean | 'throws';

/** The engine's verdicts for conditions over one request's mbox parameters, one rule and mbox each. */
async function engineVerdicts(conditions: readonly Json[], parameters: Record<string, unknown>): Promise<Verdict[]> {
  const run = async (batch: readonly Json[], offset: number): Promise<Verdict[]> => {
    const engine = await createEngine(
      CLIENT,
      artifactOf(CLIENT, { mboxes: Object.fromEntries(batch.map((c, i) => [`m${offset + i}`, [rule(offset + i, c)]])) }),
    );
    const response = await atFixedTime(NOW, () =>
      engine.getOffers(
        JSON.parse(
          JSON.stringify({
            id: { tntId: VISITOR },
            context: { channel: 'web', ...DELIVERY_CONTEXT },
            execute: { mboxes: batch.map((_, i) => ({ index: offset + i, name: `m${offset + i}`, parameters })) },
          }),
        ),
      ),
    );
    return response.execute.mboxes.map((mbox: Json) => (mbox.options ?? []).length > 0);
  };
  try {
    return await run(conditions, 0);
  } catch {
    // One condition failed the whole request: find which, one by one.
    return Promise.all(
      conditions.map((condition, i) =>
        run([condition], i).then(
          ([verdict]) => verdict!,
          () => 'throws' as const,
        ),
      ),
    );
  }
}

function ourVerdict(condition: Json, parameters: Record<string, unknown>, activityId: string): Verdict {
  const base = buildDecisionContext({ context: DELIVERY_CONTEXT, now: NOW });
  const context = withAllocation(contextForLocation(base, { parameters }), allocationValue(CLIENT, activityId, VISITOR));
  const compiled = compileCondition(condition);
  try {
    return compiled.test(context);
  } catch {
    return 'throws';
  }
}

/** Conditions whose verdict shows one of the engine's semantics; each is also checked on the engine. */
const QUIRKS: Array<[string, Json, Record<string, unknown>, Verdict]> = [
  ['== is loose', { '==': ['1', 1] }, {}, true],
  ['=== is strict', { '===': ['1', 1] }, {}, false],
  ['strings compare as strings', { '<': ['10', '9'] }, {}, true],
  ['a string and a number compare as numbers', { '>': ['10', 9] }, {}, true],
  ['an mbox parameter is a string: == matches a number', { '==': [{ var: 'mbox.size' }, 42] }, { size: '42' }, true],
  ['… but === does not', { '===': [{ var: 'mbox.size' }, 42] }, { size: '42' }, false],
  ['a missing var is null', { '==': [{ var: 'mbox.nothing' }, null] }, {}, true],
  ['null == undefined-ish: a missing var equals a missing var', { '==': [{ var: 'mbox.x' }, { var: 'mbox.y' }] }, {}, true],
  ['a var default replaces a missing value', { '===': [{ var: ['mbox.nothing', 5] }, 5] }, {}, true],
  ['… but not a null one', { '===': [{ var: ['mbox.empty', 5] }, null] }, { empty: null }, true],
  ['var walks JavaScript properties: a string has a length', { '>': [{ var: 'page.url.length' }, 20] }, {}, true],
  ['in is a substring test on strings', { in: ['shoes', { var: 'page.url_lc' }] }, {}, true],
  ['in is strict on arrays', { in: [1, ['1']] }, {}, false],
  ['in on a number is false', { in: ['1', 1] }, {}, false],
  ['an empty array is false inside', { '!': [[]] }, {}, true],
  ['… but a condition evaluating to [] matches', { merge: [] }, {}, true],
  ['an empty and is undefined: no match', { and: [] }, {}, false],
  ['a literal object with two keys is data, and truthy', { a: 1, b: 2 }, {}, true],
  ['+ adds parseFloats', { '===': [{ '+': ['1', '2.5'] }, 3.5] }, {}, true],
  ['* with one argument leaves it untouched', { '===': [{ '*': ['2'] }, '2'] }, {}, true],
  ['* with no argument fails', { '*': [] }, {}, 'throws'],
  ['cat drops null', { '===': [{ cat: ['a', null, 1] }, 'a1'] }, {}, true],
  ['substr with a negative length drops from the end', { '===': [{ substr: ['profile-edge', 2, -5] }, 'ofile'] }, {}, true],
  ['between with three arguments', { '<': [1, { var: 'mbox.n' }, 10] }, { n: 5 }, true],
  [
    'reduce takes its initial value as written, unevaluated',
    { '==': [{ reduce: [[], { var: 'current' }, { var: 'mbox.n' }] }, '[object Object]'] },
    { n: 5 },
    true,
  ],
  ['missing lists the absent names', { '===': [{ cat: [{ missing: ['mbox.a', 'mbox.b'] }] }, 'mbox.b'] }, { a: 'x' }, true],
  ['missing_some without its list fails', { missing_some: [1] }, {}, 'throws'],
  ['the mbox parameters are lower-cased as _lc', { '==': [{ var: 'mbox.color_lc' }, 'blue'] }, { color: 'BLUE' }, true],
  ['current_day is 1 (Monday) to 7 (Sunday)', { '==': [{ var: 'current_day' }, 4] }, {}, true],
  ['current_time is HHmm in UTC, a string', { '===': [{ var: 'current_time' }, '1645'] }, {}, true],
];

describe('conditions', () => {
  test('each semantic of the engine, as the engine itself decides it', async () => {
    for (const [name, condition, parameters, expected] of QUIRKS) {
      assert.equal(ourVerdict(condition, parameters, '0'), expected, `ours: ${name}`);
      const [engine] = await engineVerdicts([condition], parameters);
      assert.equal(engine, expected, `engine: ${name}`);
    }
  });

  test('a rule matches by JavaScript truthiness, an audience admits by JsonLogic truthiness', () => {
    const empty = compileCondition({ merge: [] });
    assert.equal(empty.test({}), true, 'the engine matches a rule whose condition is []');
    assert.equal(empty.admits({}), false, 'an audience of [] admits nobody');
    assert.equal(compileCondition({ var: 'x' }).admits({ x: 'yes' }), true);
  });

  test('a bad condition is refused with the place of the problem', () => {
    assert.equal(conditionProblem({ and: [{ '==': [1, 1] }, { var: 'profile.tier' }] }), null);
    assert.match(conditionProblem({ and: [true, { contains: ['a', 'b'] }] })!, /unknown operator "contains" at and\[1\]\.contains/);
    assert.match(conditionProblem({ log: 'x' })!, /unknown operator "log"/);
    assert.match(conditionProblem({ or: [{ '*': [] }] })!, /\* without arguments at or\[0\]\.\*/);
    assert.match(conditionProblem({ missing_some: 1 })!, /missing_some without its list/);
    assert.match(conditionProblem({ 'var.prototype.constructor': 'x' })!, /unknown operator/);
    assert.equal(conditionProblem({ a: { contains: 1 }, b: 2 }), null, 'a literal object is data, its insides are not operations');
    let deep: Json = true;
    for (let i = 0; i < 40; i++) deep = { '!': [deep] };
    assert.match(conditionProblem(deep)!, /nested deeper than 32/);
  });

  test('an unknown operation fails when evaluated, after its arguments', () => {
    assert.throws(() => compileExpression({ nope: [1] })(null), /Unrecognized operation nope/);
    // The library's dotted lookup into its own table: `var.prototype.constructor` is `var`.
    assert.equal(compileExpression({ 'var.prototype.constructor': 'a' })({ a: 3 }), 3);
  });

  test('which parts of the context a condition reads', () => {
    assert.deepEqual(
      conditionReads({ and: [{ '==': [{ var: 'profile.tier' }, 'gold'] }, { in: ['x', { var: 'mbox.q' }] }] }),
      new Set(['profile', 'mbox']),
    );
    assert.deepEqual(conditionReads({ some: [{ var: 'profile.list' }, { '==': [{ var: '' }, 1] }] }), new Set(['profile']));
    assert.equal(conditionReads({ var: { cat: ['pro', 'file'] } }), 'any');
    assert.equal(conditionReads({ missing: ['a'] }), 'any');
  });

  test('generated conditions over generated parameters decide as the engine decides', async (t) => {
    const names = fc.constantFrom(
      'mbox.a',
      'mbox.b',
      'mbox.s',
      'mbox.s_lc',
      'mbox.n',
      'mbox.arr',
      'mbox.arr.0',
      'mbox.arr.length',
      'mbox.obj',
      'mbox.obj.x',
      'mbox.nope',
      'mbox.s.length',
      'mbox',
      'page.url',
      'page.domain',
      'page.query_lc',
      'referring.subdomain',
      'user.browserType',
      'user.browserVersion',
      'geo.city',
      'geo.region',
      'allocation',
      'current_day',
      'current_time',
      'current',
      'accumulator',
      '',
      0,
      null,
    );
    const literal = fc.oneof(
      fc.integer({ min: -3, max: 12 }),
      fc.constantFrom(0.5, -1.5, 33.33, 50, 100),
      fc.constantFrom('', '0', '1', '10', '9', 'a', 'A', 'abc', 'Blue', 'blue', 'true', '1e1', ' 2 ', '0x10', 'chrome', 'Lyon', '1645'),
      fc.boolean(),
      fc.constant(null),
    );
    const ORDINARY = [
      '==',
      '===',
      '!=',
      '!==',
      '>',
      '>=',
      '<',
      '<=',
      '!!',
      '!',
      '%',
      'in',
      'cat',
      'substr',
      '+',
      '*',
      '-',
      '/',
      'min',
      'max',
      'merge',
      'missing',
      'missing_some',
    ];
    const { expr } = fc.letrec((tie) => ({
      expr: fc.oneof(
        { maxDepth: 4, depthIdentifier: 'expr' },
        literal,
        tie('var'),
        tie('ordinary'),
        tie('control'),
        tie('scoped'),
        fc.array(tie('expr'), { maxLength: 3 }),
        fc.constantFrom({}, { a: 1, b: 2 }),
      ),
      var: fc.oneof(
        names.map((name) => ({ var: name })),
        fc.tuple(names, tie('expr')).map(([name, fallback]) => ({ var: [name, fallback] })),
        tie('expr').map((name) => ({ var: [name] })),
      ),
      ordinary: fc.oneof(
        fc.tuple(fc.constantFrom(...ORDINARY), fc.array(tie('expr'), { maxLength: 3 })).map(([op, args]) => ({ [op]: args })),
        fc.tuple(fc.constantFrom(...ORDINARY), tie('expr')).map(([op, arg]) => ({ [op]: arg })),
      ),
      control: fc
        .tuple(fc.constantFrom('and', 'or', 'if', '?:'), fc.array(tie('expr'), { maxLength: 4 }))
        .map(([op, args]) => ({ [op]: args })),
      scoped: fc.oneof(
        fc
          .tuple(fc.constantFrom('filter', 'map', 'all', 'none', 'some'), tie('expr'), tie('expr'))
          .map(([op, items, each]) => ({ [op]: [items, each] })),
        fc.tuple(tie('expr'), tie('expr'), fc.option(literal, { nil: undefined })).map(([items, each, initial]) => ({
          reduce: initial === undefined ? [items, each] : [items, each, initial],
        })),
      ),
    }));
    const parameters = fc.record(
      {
        a: literal,
        b: literal,
        s: fc.constantFrom('Blue', 'abc', '10', '', 'Chrome'),
        n: fc.integer({ min: -2, max: 12 }),
        arr: fc.array(literal, { maxLength: 3 }),
        obj: fc.record({ x: literal, var: fc.constantFrom('mbox.a', 'mbox.n') }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );

    let compared = 0;
    const verdicts = { true: 0, false: 0, throws: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(expr, { minLength: 10, maxLength: 10 }), parameters, async (conditions, mboxParameters) => {
        const theirs = await engineVerdicts(conditions, mboxParameters);
        for (const [i, condition] of conditions.entries()) {
          const mine = ourVerdict(condition, mboxParameters, String(i));
          assert.equal(mine, theirs[i], `condition ${JSON.stringify(condition)} over ${JSON.stringify(mboxParameters)}`);
          verdicts[String(mine) as keyof typeof verdicts]++;
          compared++;
        }
      }),
      { numRuns: oracleRuns(1000) },
    );
    t.diagnostic(`${compared} conditions compared: ${verdicts.true} matched, ${verdicts.false} did not, ${verdicts.throws} failed`);
  });
});

after(() => assert.deepEqual(networkAttempts, [], 'the engine never reached the network'));
