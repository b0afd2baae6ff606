import type { ClientDecisions } from '../activities/activities-service.js';
import { decideImported } from '../artifact/decide-imported.js';
import { GLOBAL_MBOX, VIEW_PREFIX } from '../decisioning/activity.js';
import { type ConditionFailure, decide, type LocationRequest, type Visit } from '../decisioning/decide.js';
import type { AnsweredLocation } from './delivery-response.js';
import type { DecidedLocation } from './visit-counts.js';

/**
 * One request's decisions over everything the client decides with (docs/artifact.md#serving): its
 * own activities, and its imported Adobe artifact for the locations those leave free. A location
 * some activity of the client offers is decided by `decide()`; any other location the imported
 * artifact has rules for, by `decideImported()`, exactly as Adobe's engine would; a view request
 * without a name gets both sides' views, the client's own first.
 */

export type VisitAnswer = AnsweredLocation & DecidedLocation;

export interface VisitDecisions {
  answers: VisitAnswer[];
  conditionFailures: ConditionFailure[];
}

export interface VisitDecisionOptions {
  responseTokens?: readonly string[];
  /** The request's `property.token`: imported rules of other properties are skipped. */
  propertyToken?: string;
}

function locationOf(request: LocationRequest): string | undefined {
  if (request.kind === 'pageLoad') return GLOBAL_MBOX;
  if (request.kind === 'view') return request.name === undefined ? undefined : `${VIEW_PREFIX}${request.name}`;
  return request.name;
}

/** Whether the client decides anything at all: most clients without activities skip deciding. */
export function decidesAnything(decisions: ClientDecisions): boolean {
  return decisions.index.byLocation.size > 0 || decisions.imported !== null;
}

export function decideVisit(
  decisions: ClientDecisions,
  visit: Visit,
  locations: readonly LocationRequest[],
  options: VisitDecisionOptions = {},
): VisitDecisions {
  const { index, imported } = decisions;
  const responseTokens = options.responseTokens ? { responseTokens: options.responseTokens } : {};
  if (!imported) return decide(index, visit, locations, responseTokens);

  const own: LocationRequest[] = [];
  const other: LocationRequest[] = [];
  for (const request of locations) {
    const location = locationOf(request);
    if (location === undefined) {
      own.push(request);
      other.push(request);
    } else if (index.byLocation.has(location)) own.push(request);
    else other.push(request);
  }
  const mine = decide(index, visit, own, responseTokens);
  const theirs = decideImported(imported.decisions, visit, other, options.propertyToken ? { propertyToken: options.propertyToken } : {});
  const answers: VisitAnswer[] = [...mine.answers];
  for (const answer of theirs.answers) {
    // A view of the client's own activities is theirs, also when every view was asked for.
    if (answer.request.kind === 'view' && answer.request.name === undefined && index.byLocation.has(answer.location)) continue;
    answers.push(answer);
  }
  return { answers, conditionFailures: [...mine.conditionFailures, ...theirs.conditionFailures] };
}
