import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AFFINITIES_ATTRIBUTE,
  AFFINITY_ATTRIBUTE,
  AFFINITY_SCORES_ATTRIBUTE,
  categoriesOf,
  decodeScores,
  halveScores,
  rankCategories,
  viewCategories,
  withCategoryViews,
} from './category-affinity.js';

const ranked = (scores: ReturnType<typeof viewCategories>) => rankCategories(scores).map(({ category, score }) => [category, score]);

describe('category affinity: the documented worked example', () => {
  const firstSession = viewCategories([], ['mens-clothing', 'accessories', 'jewelry', 'accessories']);

  it('first session: accessories 9, mens-clothing 8, jewelry 5', () => {
    assert.deepEqual(ranked(firstSession), [
      ['accessories', 9],
      ['mens-clothing', 8],
      ['jewelry', 5],
    ]);
  });

  it('the next session halves them to 4.5, 4 and 2.5', () => {
    assert.deepEqual(ranked(halveScores(firstSession)), [
      ['accessories', 4.5],
      ['mens-clothing', 4],
      ['jewelry', 2.5],
    ]);
  });

  it('second session: five new views keep five categories, mens-clothing dropped at 1; halved after', () => {
    const second = viewCategories(halveScores(firstSession), ['jewelry', 'accessories', 'beauty', 'shoes', 'womens-clothing']);
    assert.deepEqual(ranked(second), [
      ['accessories', 6.5],
      ['womens-clothing', 5],
      ['jewelry', 4.5],
      ['shoes', 4],
      ['beauty', 3],
    ]);
    assert.deepEqual(ranked(halveScores(second)), [
      ['accessories', 3.25],
      ['womens-clothing', 2.5],
      ['jewelry', 2.25],
      ['shoes', 2],
      ['beauty', 1.5],
    ]);
  });
});

describe('category affinity on a profile', () => {
  it('a visit stores the scores, the favourite and the ranked list; a new session halves before its views', () => {
    let attributes = new Map<string, { value: string; modifiedAt: number }>();
    for (const category of ['mens-clothing', 'accessories', 'jewelry', 'accessories']) {
      attributes = withCategoryViews(attributes, [category], false, 1) ?? attributes;
    }
    assert.equal(attributes.get(AFFINITY_ATTRIBUTE)?.value, 'accessories');
    assert.equal(attributes.get(AFFINITIES_ATTRIBUTE)?.value, 'accessories,mens-clothing,jewelry');
    const halved = withCategoryViews(attributes, [], true, 2)!;
    assert.deepEqual(
      decodeScores(halved.get(AFFINITY_SCORES_ATTRIBUTE)?.value).map(({ score }) => score),
      [4, 4.5, 2.5],
    );
  });

  it('a visit without categories in the same session changes nothing', () => {
    assert.equal(withCategoryViews(new Map(), [], false, 1), null);
    assert.equal(withCategoryViews(new Map(), [], true, 1), null);
  });

  it('user.categoryId is comma-separated, read up to 256 characters', () => {
    assert.deepEqual(categoriesOf(' shoes, ,bags '), ['shoes', 'bags']);
    assert.equal(categoriesOf(`${'a'.repeat(250)},bbbbbbbbbb`).join(','), `${'a'.repeat(250)},bbbbb`);
  });
});
