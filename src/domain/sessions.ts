import type { AttributeMap } from './attributes.js';
import { DAY_MS } from './clock.js';

/**
 * Sessions and the system attributes the server keeps per profile
 * (docs/wire-contract.md#84-sessions-and-system-attributes). A visit starts a new session when its
 * sessionId differs from the last one seen or when the visitor was idle for 30 minutes. The
 * session state is stored beside the profile, not among its attributes: it is bookkeeping, not
 * profile data, and never shows up in a fetch.
 */
export const SESSION_IDLE_MS = 30 * 60_000;

export interface SessionState {
  /** The sessionId of the last visit. */
  id: string;
  /** When the current session started (epoch ms). */
  startedAt: number;
  /** Last visit of the current session (epoch ms). */
  lastSeenAt: number;
  /** Last visit of the previous session, null during the first one (for daysSinceLastVisit). */
  previousVisitAt: number | null;
}

/** What one visit means for the visitor, derived per request. */
export interface VisitFacts {
  isFirstSession: boolean;
  isNewSession: boolean;
  /** Whole days between the previous session's last visit and this session's start; null in the first session. */
  daysSinceLastVisit: number | null;
  sessionCount: number;
}

export interface SessionVisit {
  attributes: AttributeMap;
  session: SessionState;
  facts: VisitFacts;
}

export function sessionCountOf(attributes: AttributeMap): number {
  const count = Number(attributes.get('sessionCount')?.value);
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/**
 * Records one visit: decides whether it starts a session and, if so, stamps `firstSessionStart`
 * (once), `lastSessionStart` and `sessionCount`. The server writes these directly; the
 * external-name check that reserves them applies to callers only. Returns new values; the inputs
 * are not modified.
 */
export function recordSessionVisit(attributes: AttributeMap, previous: SessionState | null, sessionId: string, now: number): SessionVisit {
  const isNewSession = previous === null || previous.id !== sessionId || now - previous.lastSeenAt >= SESSION_IDLE_MS;
  if (!isNewSession) {
    const session = { ...previous, lastSeenAt: Math.max(previous.lastSeenAt, now) };
    const sessionCount = Math.max(sessionCountOf(attributes), 1);
    return { attributes, session, facts: factsOf(session, sessionCount, false) };
  }

  const next: AttributeMap = new Map(attributes);
  const sessionCount = sessionCountOf(attributes) + 1;
  if (!next.has('firstSessionStart')) next.set('firstSessionStart', { value: String(now), modifiedAt: now });
  next.set('lastSessionStart', { value: String(now), modifiedAt: now });
  next.set('sessionCount', { value: String(sessionCount), modifiedAt: now });
  const session: SessionState = {
    id: sessionId,
    startedAt: now,
    lastSeenAt: now,
    previousVisitAt: previous?.lastSeenAt ?? null,
  };
  return { attributes: next, session, facts: factsOf(session, sessionCount, true) };
}

function factsOf(session: SessionState, sessionCount: number, isNewSession: boolean): VisitFacts {
  return {
    isFirstSession: sessionCount === 1,
    isNewSession,
    daysSinceLastVisit:
      session.previousVisitAt === null ? null : Math.max(0, Math.floor((session.startedAt - session.previousVisitAt) / DAY_MS)),
    sessionCount,
  };
}

/** The session state to keep when two profiles merge: the one seen last (ties go to the winner). */
export function laterSession(winner: SessionState | null, loser: SessionState | null): SessionState | null {
  if (!winner) return loser;
  if (!loser) return winner;
  return loser.lastSeenAt > winner.lastSeenAt ? loser : winner;
}
