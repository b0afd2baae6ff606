import type { Limits } from '../../config.js';
import { attributeNameProblem, attributeValueProblem } from '../../domain/attributes.js';
import type { Clock } from '../../domain/clock.js';
import type { IdKind, VisitorIdRef } from '../../domain/identity.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import type { ClientSettings } from '../clients/clients-store.js';
import { GLOBAL_MBOX } from '../decisioning/activity.js';
import { type DecisionStep, decide, type LocationRequest } from '../decisioning/decide.js';
import type { ProfilesService } from '../profiles/profiles-service.js';
import type { ActivitiesService } from './activities-service.js';

/** A sample request: who visits, which locations, with which profile parameters and page. */
export interface PreviewRequest {
  visitor: VisitorIdRef | null;
  locations: readonly string[];
  profileParameters: Readonly<Record<string, string>>;
  url?: string;
}

export interface PreviewedLocation {
  location: string;
  activityId: string | null;
  experienceId: string | null;
  offer: { type: string; content: unknown } | null;
  /** Why, in a sentence. */
  reason: string;
  /** Every activity considered, in decision order. */
  steps: DecisionStep[];
}

export interface Preview {
  visitor: { known: boolean; ids: Record<string, string[]> };
  locations: PreviewedLocation[];
}

const PREVIEW_TNT_ID = 'preview-visitor';

function sentenceOf(step: DecisionStep): string {
  const activity = `${step.type} activity '${step.activityId}' (priority ${step.priority})`;
  switch (step.outcome) {
    case 'outside-dates':
      return `${activity} is outside its dates`;
    case 'audience-not-matched':
      return `${activity}: its audience does not admit the visitor`;
    case 'allocated':
      return `${activity}: the visitor's bucket ${step.bucket} of 10000 falls in experience '${step.experienceId}'s allocation`;
    case 'experience-matched':
      return `${activity}: experience '${step.experienceId}' is the first whose audience admits the visitor`;
    case 'no-experience-matched':
      return `${activity}: no experience admits the visitor`;
  }
}

/**
 * What a visitor would see and why (docs/decisioning.md#preview): the visitor's stored profile, the
 * sample's profile parameters laid over it in memory, decided by the same `decide()` as Delivery
 * over the client's live activities, each candidate's fate recorded. Nothing is written or
 * counted: no visit, no session, no impression.
 */
export class ActivityPreview {
  constructor(
    private readonly activities: ActivitiesService,
    private readonly profiles: ProfilesService,
    private readonly clock: Clock,
    private readonly limits: Limits,
  ) {}

  async preview(client: ClientSettings, request: PreviewRequest): Promise<Preview> {
    const attributes = new Map<string, string>();
    let ids: VisitorIdRef[] = request.visitor ? [request.visitor] : [];
    let known = false;
    if (request.visitor) {
      try {
        const profile = await this.profiles.fetch(client, request.visitor);
        for (const [name, attribute] of profile.attributes) attributes.set(name, attribute.value);
        ids = await this.profiles.idsOf(client, profile);
        known = true;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    for (const [name, value] of Object.entries(request.profileParameters)) {
      const problem =
        attributeNameProblem(name, this.limits.maxNameLength) ?? attributeValueProblem(name, value, this.limits.maxDeliveryValueLength);
      if (problem) throw new BadRequestError(`profileParameters: ${problem}`, 'invalid_attribute_name');
      attributes.set(name, value);
    }
    const first = (kind: IdKind) => ids.find((id) => id.kind === kind)?.value;
    const visitIds = {
      tntId: first('tntId') ?? PREVIEW_TNT_ID,
      ...(first('thirdPartyId') ? { thirdPartyId: first('thirdPartyId') } : {}),
      ...(first('marketingCloudVisitorId') ? { marketingCloudVisitorId: first('marketingCloudVisitorId') } : {}),
    };
    const locations: LocationRequest[] = request.locations.map((name) =>
      name === GLOBAL_MBOX ? { mode: 'execute', kind: 'pageLoad' } : { mode: 'execute', kind: 'mbox', name },
    );
    const steps: DecisionStep[] = [];
    const decided = decide(
      await this.activities.decisionIndex(client.code),
      {
        ids: visitIds,
        allocationIds: {
          tntId: first('tntId'),
          thirdPartyId: first('thirdPartyId'),
          marketingCloudVisitorId: first('marketingCloudVisitorId'),
        },
        sessionId: 'preview',
        attributes,
        context: request.url ? { address: { url: request.url } } : {},
        now: this.clock.now(),
      },
      locations,
      { explain: (step) => steps.push(step) },
    );
    const grouped: Record<string, string[]> = {};
    for (const { kind, value } of ids) {
      grouped[kind] ??= [];
      grouped[kind].push(value);
    }
    return {
      visitor: { known, ids: grouped },
      locations: decided.answers.map((answer) => {
        const considered = steps.filter((step) => step.location === answer.location);
        const chosen = answer.decision;
        const option = answer.options[0];
        const reason = chosen
          ? sentenceOf(considered.find((step) => step.activityId === chosen.activityId)!)
          : considered.length === 0
            ? `No live activity offers '${answer.location}': the page keeps its default content`
            : `No activity decides '${answer.location}' for this visitor (${considered.map(sentenceOf).join('; ')}): the page keeps its default content`;
        return {
          location: answer.location,
          activityId: chosen?.activityId ?? null,
          experienceId: chosen?.experienceId ?? null,
          offer: option ? { type: option.type, content: option.content } : null,
          reason,
          steps: considered,
        };
      }),
    };
  }
}
