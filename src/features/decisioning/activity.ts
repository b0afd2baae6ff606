import { BadRequestError } from '../../errors.js';
import { conditionProblem } from './conditions.js';
import { stringsOf, templateProblem } from './tokens.js';

/**
 * The activity model: what a client stores through the admin API and what decisions are made from.
 * An activity decides, for the visitors its audience admits, which offer each of its locations
 * shows. Locations are mbox names; `target-global-mbox` is the page load; `view:<name>` a view.
 *
 * Validation is in two layers, so that a route schema (TypeBox) can later take over the first:
 * - `readActivity`: the shape — types, required and unknown fields, enumerations, lengths;
 * - `activityProblem`: the rules that need more than a schema — priority 0–999, allocations that
 *   sum to 100 in steps of 0.01 (ab), audiences only where they decide (activity; xt experiences),
 *   unique experience ids, the same locations in every experience, offer content by offer type,
 *   well-formed tokens, safe redirects, dates in order, unique metric names, known condition
 *   operators. Each rule is a plain function naming the field it refuses.
 * `validateActivity` runs both and refuses a bad activity whole: `ActivityValidationError`, a 400
 * whose message names the field (`experiences[1].allocation must be …`).
 */

export type ActivityType = 'ab' | 'xt';
export type ActivityState = 'draft' | 'live' | 'paused' | 'archived';
export type OfferType = 'html' | 'json' | 'redirect';

/** A JsonLogic condition over the decision context (see conditions.ts). */
export type Condition = unknown;

export interface Offer {
  type: OfferType;
  /** html and redirect: text (tokens allowed); json: an object or an array (tokens in its strings). */
  content: unknown;
  name?: string;
  /** Reported as the `offer.id` response token; `<activityId>.<experienceId>.<location>` when absent. */
  id?: string;
}

export interface Experience {
  id: string;
  name?: string;
  /** ab: percent of the activity's visitors, 0–100 in steps of 0.01; all of them sum to 100. */
  allocation?: number;
  /** xt: who gets this experience; the first matching experience wins. */
  audience?: Condition;
  /** Location → offer. Every experience of an activity has the same locations. */
  offers: Record<string, Offer>;
}

export interface Metric {
  name: string;
  type: 'click';
  /** Where the click happens (an mbox name). */
  location: string;
}

export interface Activity {
  name: string;
  type: ActivityType;
  /** Only `live` activities decide. */
  state: ActivityState;
  /** 0–999; the highest-priority activity that admits the visitor wins a location. */
  priority: number;
  /** ISO 8601 with a time zone; the activity decides from `startsAt` (inclusive) to `endsAt` (exclusive). */
  startsAt?: string | null;
  endsAt?: string | null;
  audience?: Condition;
  experiences: Experience[];
  metrics: Metric[];
}

/** An activity as stored: its id and its version, which increases with every replacement. */
export interface StoredActivity extends Activity {
  id: string;
  version: number;
}

export class ActivityValidationError extends BadRequestError {
  constructor(message: string) {
    super(message, 'invalid_activity');
  }
}

export const ACTIVITY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const GLOBAL_MBOX = 'target-global-mbox';
export const VIEW_PREFIX = 'view:';

export const ACTIVITY_LIMITS = {
  maxNameLength: 250,
  maxExperiences: 50,
  maxLocations: 50,
  maxLocationLength: 250,
  maxMetrics: 20,
  maxOfferIdLength: 128,
  /** Characters of an html offer, or of a json offer's JSON text. */
  maxOfferContentLength: 256 * 1024,
  maxRedirectLength: 2048,
} as const;

// ---------------------------------------------------------------------------------------------
// Shape

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(message: string): never {
  throw new ActivityValidationError(message);
}

function onlyFields(value: Json, where: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      fail(`${where ? `${where}.` : ''}${key.slice(0, 64)} is not a field of ${where || 'an activity'} (fields: ${allowed.join(', ')})`);
  }
}

function text(value: unknown, where: string, maxLength: number, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0) fail(`${where} must be a non-empty string`);
  if (value.length > maxLength) fail(`${where} must be at most ${maxLength} characters`);
  return value;
}

function oneOf<T extends string>(value: unknown, where: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !options.includes(value as T))
    fail(`${where} must be one of ${options.map((o) => `"${o}"`).join(', ')}`);
  return value as T;
}

function readOffer(value: unknown, where: string): Offer {
  if (!isObject(value)) fail(`${where} must be an object`);
  onlyFields(value, where, ['type', 'content', 'name', 'id']);
  const offer: Offer = { type: oneOf(value.type, `${where}.type`, ['html', 'json', 'redirect']), content: value.content };
  if (!('content' in value)) fail(`${where}.content is required`);
  const name = text(value.name, `${where}.name`, ACTIVITY_LIMITS.maxNameLength, false);
  if (name !== undefined) offer.name = name;
  const id = text(value.id, `${where}.id`, ACTIVITY_LIMITS.maxOfferIdLength, false);
  if (id !== undefined) offer.id = id;
  return offer;
}

function readExperience(value: unknown, where: string): Experience {
  if (!isObject(value)) fail(`${where} must be an object`);
  onlyFields(value, where, ['id', 'name', 'allocation', 'audience', 'offers']);
  const experience: Experience = { id: text(value.id, `${where}.id`, 64, true)!, offers: {} };
  const name = text(value.name, `${where}.name`, ACTIVITY_LIMITS.maxNameLength, false);
  if (name !== undefined) experience.name = name;
  if (value.allocation !== undefined) {
    if (typeof value.allocation !== 'number' || !Number.isFinite(value.allocation)) fail(`${where}.allocation must be a number`);
    experience.allocation = value.allocation;
  }
  // null, like absence, means no audience: everyone the activity admits.
  if (value.audience !== undefined && value.audience !== null) experience.audience = value.audience;
  if (!isObject(value.offers)) fail(`${where}.offers must be an object of location → offer`);
  for (const [location, offer] of Object.entries(value.offers)) {
    Object.defineProperty(experience.offers, location, {
      value: readOffer(offer, `${where}.offers[${JSON.stringify(location.slice(0, 64))}]`),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return experience;
}

function readMetric(value: unknown, where: string): Metric {
  if (!isObject(value)) fail(`${where} must be an object`);
  onlyFields(value, where, ['name', 'type', 'location']);
  return {
    name: text(value.name, `${where}.name`, ACTIVITY_LIMITS.maxNameLength, true)!,
    type: oneOf(value.type, `${where}.type`, ['click']),
    location: text(value.location, `${where}.location`, ACTIVITY_LIMITS.maxLocationLength, true)!,
  };
}

/** Fields the API answers that a client may send back unchanged; they are not part of the activity. */
const READ_ONLY_FIELDS = ['id', 'version', 'createdAt', 'modifiedAt'];

/** The activity's shape, or `ActivityValidationError` naming the first field that is wrong. */
export function readActivity(value: unknown): Activity {
  if (!isObject(value)) fail('an activity must be a JSON object');
  onlyFields(value, '', [
    'name',
    'type',
    'state',
    'priority',
    'startsAt',
    'endsAt',
    'audience',
    'experiences',
    'metrics',
    ...READ_ONLY_FIELDS,
  ]);
  const activity: Activity = {
    name: text(value.name, 'name', ACTIVITY_LIMITS.maxNameLength, true)!,
    type: oneOf(value.type, 'type', ['ab', 'xt']),
    state: oneOf(value.state, 'state', ['draft', 'live', 'paused', 'archived']),
    priority: 0,
    experiences: [],
    metrics: [],
  };
  if (value.priority !== undefined) {
    if (typeof value.priority !== 'number') fail('priority must be a number');
    activity.priority = value.priority;
  }
  for (const field of ['startsAt', 'endsAt'] as const) {
    const date = value[field];
    if (date === undefined) continue;
    if (date !== null && typeof date !== 'string') fail(`${field} must be an ISO 8601 date-time or null`);
    activity[field] = date;
  }
  if (value.audience !== undefined && value.audience !== null) activity.audience = value.audience;
  if (!Array.isArray(value.experiences)) fail('experiences must be an array');
  activity.experiences = value.experiences.map((experience, i) => readExperience(experience, `experiences[${i}]`));
  if (value.metrics !== undefined) {
    if (!Array.isArray(value.metrics)) fail('metrics must be an array');
    activity.metrics = value.metrics.map((metric, i) => readMetric(metric, `metrics[${i}]`));
  }
  return activity;
}

// ---------------------------------------------------------------------------------------------
// Rules

type Problem = string | null;

export function priorityProblem(activity: Activity): Problem {
  const { priority } = activity;
  return Number.isInteger(priority) && priority >= 0 && priority <= 999 ? null : 'priority must be a whole number from 0 to 999';
}

export function experiencesProblem(activity: Activity): Problem {
  const { experiences } = activity;
  if (experiences.length === 0) return 'experiences must have at least one experience';
  if (experiences.length > ACTIVITY_LIMITS.maxExperiences)
    return `experiences must have at most ${ACTIVITY_LIMITS.maxExperiences} experiences`;
  const seen = new Map<string, number>();
  for (const [i, experience] of experiences.entries()) {
    if (!ACTIVITY_ID_PATTERN.test(experience.id)) return `experiences[${i}].id must be 1–64 letters, digits, _ or -`;
    const first = seen.get(experience.id);
    if (first !== undefined) return `experiences[${i}].id "${experience.id}" is already the id of experiences[${first}]`;
    seen.set(experience.id, i);
  }
  return null;
}

/** ab: every experience has a share, in steps of 0.01, together exactly 100. xt: none has one. */
export function allocationProblem(activity: Activity): Problem {
  let hundredths = 0;
  for (const [i, experience] of activity.experiences.entries()) {
    const where = `experiences[${i}].allocation`;
    if (activity.type === 'xt') {
      if (experience.allocation !== undefined)
        return `${where} is only for ab activities: an xt activity gives each visitor its first matching experience`;
      continue;
    }
    const { allocation } = experience;
    if (allocation === undefined) return `${where} is required in an ab activity`;
    const steps = Math.round(allocation * 100);
    if (allocation < 0 || allocation > 100 || Math.abs(steps - allocation * 100) > 1e-6)
      return `${where} must be a number from 0 to 100 in steps of 0.01`;
    hundredths += steps;
  }
  if (activity.type === 'ab' && hundredths !== 10_000) return `experiences[].allocation must sum to 100 (they sum to ${hundredths / 100})`;
  return null;
}

export function audienceProblem(activity: Activity): Problem {
  if (activity.audience !== undefined) {
    const problem = conditionProblem(activity.audience);
    if (problem) return `audience ${problem}`;
  }
  for (const [i, experience] of activity.experiences.entries()) {
    if (experience.audience === undefined) continue;
    if (activity.type === 'ab')
      return `experiences[${i}].audience is only for xt activities: an ab activity splits its audience by allocation`;
    const problem = conditionProblem(experience.audience);
    if (problem) return `experiences[${i}].audience ${problem}`;
  }
  return null;
}

export function locationProblem(location: string): Problem {
  if (location.length === 0 || location.length > ACTIVITY_LIMITS.maxLocationLength)
    return `must be 1–${ACTIVITY_LIMITS.maxLocationLength} characters`;
  if (/[\u0000-\u001f\u007f]/.test(location)) return 'must not contain control characters';
  if (location.startsWith(VIEW_PREFIX) && location.length === VIEW_PREFIX.length) return 'must name a view after "view:"';
  return null;
}

function offerContentProblem(offer: Offer): Problem {
  if (offer.type === 'json') {
    if (typeof offer.content !== 'object' || offer.content === null) return 'content of a json offer must be an object or an array';
    if (JSON.stringify(offer.content).length > ACTIVITY_LIMITS.maxOfferContentLength)
      return `content must be at most ${ACTIVITY_LIMITS.maxOfferContentLength} characters of JSON`;
    for (const value of stringsOf(offer.content)) {
      const problem = templateProblem(value);
      if (problem) return `content ${problem}`;
    }
    return null;
  }
  if (typeof offer.content !== 'string') return `content of a${offer.type === 'html' ? 'n html' : ' redirect'} offer must be a string`;
  if (offer.type === 'redirect') {
    if (offer.content.length > ACTIVITY_LIMITS.maxRedirectLength)
      return `content must be at most ${ACTIVITY_LIMITS.maxRedirectLength} characters`;
    if (!/^https?:\/\/[^/?#\s$]/i.test(offer.content))
      return 'content of a redirect offer must be an absolute http(s) url with a literal host';
  } else if (offer.content.length > ACTIVITY_LIMITS.maxOfferContentLength) {
    return `content must be at most ${ACTIVITY_LIMITS.maxOfferContentLength} characters`;
  }
  const problem = templateProblem(offer.content);
  return problem ? `content ${problem}` : null;
}

/** Every experience has an offer for each of the activity's locations, and only for those. */
export function offersProblem(activity: Activity): Problem {
  const [first] = activity.experiences;
  if (!first) return null;
  const locations = Object.keys(first.offers);
  if (locations.length === 0) return 'experiences[0].offers must have at least one location';
  if (locations.length > ACTIVITY_LIMITS.maxLocations)
    return `experiences[0].offers must have at most ${ACTIVITY_LIMITS.maxLocations} locations`;
  for (const [i, experience] of activity.experiences.entries()) {
    for (const [location, offer] of Object.entries(experience.offers)) {
      const where = `experiences[${i}].offers[${JSON.stringify(location.slice(0, 64))}]`;
      const problem = locationProblem(location);
      if (problem) return `${where}: the location name ${problem}`;
      if (!Object.hasOwn(first.offers, location))
        return `${where}: experiences[0] has no offer for this location; every experience needs one for each location`;
      const contentProblem = offerContentProblem(offer);
      if (contentProblem) return `${where}.${contentProblem}`;
    }
    const missing = locations.find((location) => !Object.hasOwn(experience.offers, location));
    if (missing !== undefined)
      return `experiences[${i}].offers has no offer for location ${JSON.stringify(missing.slice(0, 64))}; every experience needs one for each location`;
  }
  return null;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Epoch ms of an ISO 8601 date-time with a time zone, or NaN. */
export function parseDateTime(value: string): number {
  const match = DATE_TIME.exec(value);
  if (!match) return Number.NaN;
  const [, year, month, day, hours, minutes, seconds = 0, offsetHours = 0, offsetMinutes = 0] = match.map((part) =>
    part === undefined ? undefined : Number(part),
  );
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth || hours! > 23 || minutes! > 59 || seconds! > 59) return Number.NaN;
  if (offsetHours! > 23 || offsetMinutes! > 59) return Number.NaN;
  return Date.parse(value);
}

export function datesProblem(activity: Activity): Problem {
  const times: Record<string, number> = {};
  for (const field of ['startsAt', 'endsAt'] as const) {
    const value = activity[field];
    if (value === undefined || value === null) continue;
    const time = parseDateTime(value);
    if (Number.isNaN(time)) return `${field} must be an ISO 8601 date-time with a time zone, such as 2026-12-01T00:00:00Z`;
    times[field] = time;
  }
  if (times.startsAt !== undefined && times.endsAt !== undefined && times.endsAt <= times.startsAt)
    return 'endsAt must be later than startsAt';
  return null;
}

export function metricsProblem(activity: Activity): Problem {
  if (activity.metrics.length > ACTIVITY_LIMITS.maxMetrics) return `metrics must have at most ${ACTIVITY_LIMITS.maxMetrics} metrics`;
  const seen = new Set<string>();
  for (const [i, metric] of activity.metrics.entries()) {
    if (seen.has(metric.name)) return `metrics[${i}].name "${metric.name.slice(0, 64)}" is already the name of another metric`;
    seen.add(metric.name);
    const problem = locationProblem(metric.location);
    if (problem) return `metrics[${i}].location ${problem}`;
  }
  return null;
}

/** Every rule an activity's shape cannot express, in the order a reader would fix them. */
export const ACTIVITY_RULES: ReadonlyArray<(activity: Activity) => Problem> = [
  priorityProblem,
  datesProblem,
  experiencesProblem,
  allocationProblem,
  audienceProblem,
  offersProblem,
  metricsProblem,
];

/** The first rule the activity breaks, or null. */
export function activityProblem(activity: Activity): Problem {
  for (const rule of ACTIVITY_RULES) {
    const problem = rule(activity);
    if (problem) return problem;
  }
  return null;
}

/** A valid activity from untrusted JSON, or `ActivityValidationError` naming the field. */
export function validateActivity(value: unknown): Activity {
  const activity = readActivity(value);
  const problem = activityProblem(activity);
  if (problem) fail(problem);
  return activity;
}
