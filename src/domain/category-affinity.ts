/**
 * Category affinity (docs/profile-scripts.md#category-affinity): Target's ranking of the categories
 * a visitor browses, fed by the `user.categoryId` parameter of a location. Pure: scores in, scores
 * out, no clock.
 *
 * Within a session, the very first category a visitor is ever seen with scores 10, every later
 * view of a category 5. A category new to the visitor first takes 1 off every category already
 * held (seeing a held one again takes nothing off the others). At most five are kept: when a sixth
 * arrives, the lowest of the five held is dropped (the oldest among equals). A new session halves
 * every score before its first view.
 */

/** A category and its score, best first. */
export interface CategoryScore {
  category: string;
  score: number;
}

export const MAX_CATEGORIES = 5;
export const FIRST_CATEGORY_SCORE = 10;
export const VIEW_SCORE = 5;
export const NEW_CATEGORY_PENALTY = 1;
/** The longest `user.categoryId` value read (Target: 256 characters). */
export const MAX_CATEGORY_PARAMETER_LENGTH = 256;

/** The category ids of a `user.categoryId` value: comma-separated, trimmed, empty ones skipped. */
export function categoriesOf(parameter: string): string[] {
  return parameter
    .slice(0, MAX_CATEGORY_PARAMETER_LENGTH)
    .split(',')
    .map((category) => category.trim())
    .filter((category) => category !== '');
}

/** Every score halved: a new session starts. */
export function halveScores(scores: readonly CategoryScore[]): CategoryScore[] {
  return scores.map(({ category, score }) => ({ category, score: score / 2 }));
}

/**
 * The scores after the visitor views `categories`, in order. `held` is kept in the order the
 * categories were first seen (oldest first), which breaks ties when one is dropped; the answer is
 * in the same order. Rank with `rankCategories`.
 */
export function viewCategories(held: readonly CategoryScore[], categories: readonly string[]): CategoryScore[] {
  const scores = held.map((entry) => ({ ...entry }));
  for (const category of categories) {
    const existing = scores.find((entry) => entry.category === category);
    if (existing) {
      existing.score += VIEW_SCORE;
      continue;
    }
    const first = scores.length === 0;
    for (const entry of scores) entry.score -= NEW_CATEGORY_PENALTY;
    if (scores.length === MAX_CATEGORIES) {
      let lowest = 0;
      for (let i = 1; i < scores.length; i++) if (scores[i]!.score < scores[lowest]!.score) lowest = i;
      scores.splice(lowest, 1);
    }
    scores.push({ category, score: first ? FIRST_CATEGORY_SCORE : VIEW_SCORE });
  }
  return scores;
}

/** Best first; equal scores keep the order they were first seen in. */
export function rankCategories(scores: readonly CategoryScore[]): CategoryScore[] {
  return scores
    .map((entry, order) => ({ entry, order }))
    .sort((a, b) => b.entry.score - a.entry.score || a.order - b.order)
    .map(({ entry }) => entry);
}

/** What a profile keeps of its affinity, as attributes (docs/profile-scripts.md#category-affinity). */
export const AFFINITY_ATTRIBUTE = 'user.categoryAffinity';
export const AFFINITIES_ATTRIBUTE = 'user.categoryAffinities';
/** The scores, oldest first: `[["accessories",9],…]` (a dotted `user.` name: not a script output). */
export const AFFINITY_SCORES_ATTRIBUTE = 'user.categoryAffinity.scores';

/** The stored scores; anything not well formed reads as none. */
export function decodeScores(encoded: string | undefined): CategoryScore[] {
  if (encoded === undefined) return [];
  try {
    const rows = JSON.parse(encoded) as unknown;
    if (!Array.isArray(rows)) return [];
    return rows
      .filter((row): row is [string, number] => Array.isArray(row) && typeof row[0] === 'string' && Number.isFinite(row[1]))
      .slice(0, MAX_CATEGORIES)
      .map(([category, score]) => ({ category, score }));
  } catch {
    return [];
  }
}

export function encodeScores(scores: readonly CategoryScore[]): string {
  return JSON.stringify(scores.map(({ category, score }) => [category, score]));
}

/**
 * The profile after a visit's category views: scores halved when the visit starts a session (and
 * the visitor held some), then each view applied. Writes the three affinity attributes when the
 * scores changed; returns `attributes` itself when nothing changed.
 */
export function withCategoryViews(
  attributes: ReadonlyMap<string, { value: string; modifiedAt: number }>,
  categories: readonly string[],
  isNewSession: boolean,
  now: number,
): Map<string, { value: string; modifiedAt: number }> | null {
  const stored = attributes.get(AFFINITY_SCORES_ATTRIBUTE)?.value;
  if (categories.length === 0 && (!isNewSession || stored === undefined)) return null;
  let scores = decodeScores(stored);
  if (isNewSession) scores = halveScores(scores);
  scores = viewCategories(scores, categories);
  const encoded = encodeScores(scores);
  if (encoded === stored) return null;
  const ranked = rankCategories(scores);
  const next = new Map(attributes);
  next.set(AFFINITY_SCORES_ATTRIBUTE, { value: encoded, modifiedAt: now });
  if (ranked.length > 0) {
    next.set(AFFINITY_ATTRIBUTE, { value: ranked[0]!.category, modifiedAt: now });
    next.set(AFFINITIES_ATTRIBUTE, { value: ranked.map(({ category }) => category).join(','), modifiedAt: now });
  }
  return next;
}
