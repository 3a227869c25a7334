/**
 * Slots: how many leases the coordinator lets an operator hold at once. What
 * an operator declares (`maxConcurrent`) is a ceiling, never a grant; the
 * grant is earned from its record, so a fresh key or one that gives work
 * back cannot soak up the queue.
 *
 *   slow start   a newcomer gets SLOW_START_SLOTS and one more for every lease
 *                it completes (a result came back), up to what it declared.
 *                As in TCP's slow start, +1 per completed lease doubles the
 *                grant every round of leases, so an honest machine reaches
 *                its size within a few rounds. The figure is the decayed
 *                count in its reputation record, which survives reconnects
 *                and restarts: reconnecting resets nothing, and a new key
 *                starts from SLOW_START_SLOTS again.
 *   releases     a release costs the operator standing, never the task's
 *                budget of attempts (see task-flow.ts). A few are free
 *                (FREE_RELEASES recent ones, or RELEASE_SHARE of what it
 *                took, whichever is more): an agent that could not load an
 *                EU, or a rare give-back, costs nothing. Each release beyond
 *                that halves the grant; SUSPEND_EXCESS of them suspend it.
 *                A graceful drain releases nothing (the agent finishes what
 *                it holds), so it never comes near these figures.
 *   degraded     a degraded operator gets half its grant (health-policy.ts).
 */
import { atLeastRecent, RECENT_COUNT_SLACK } from './health-policy.js';
import type { OperatorRecord } from './reputation.js';

/** What a newcomer may hold: enough to show it works, too few to starve a queue. */
export const SLOW_START_SLOTS = 2;
/** Recent releases that cost nothing, whatever the operator's record. */
export const FREE_RELEASES = 2;
/** The share of its leases an operator may give back without losing slots. */
export const RELEASE_SHARE = 0.1;
/** Releases beyond the free ones that suspend the operator (each one before that halves its slots). */
export const SUSPEND_EXCESS = 3;

/** Releases beyond what is free, from the decayed figures of a record (0 for none). */
export function excessReleases(r: OperatorRecord | undefined, now: number): number {
  if (!r) return 0;
  const released = r.released.value(now);
  const done = r.completed.value(now);
  const free = Math.max(FREE_RELEASES, RELEASE_SHARE * (released + done));
  return Math.max(0, Math.floor(released - free + RECENT_COUNT_SLACK));
}

/** Slots earned by completing leases (slow start), before the ceiling the operator declared. */
export function earnedSlots(r: OperatorRecord | undefined, now: number): number {
  const done = r ? r.completed.value(now) : 0;
  return SLOW_START_SLOTS + Math.floor(done + RECENT_COUNT_SLACK);
}

/** The grant: earned slots, halved per excess release and when degraded, within the declaration, at least one. */
export function grantedSlots(
  maxConcurrent: number,
  r: OperatorRecord | undefined,
  degraded: boolean,
  now: number,
): number {
  let slots = Math.min(maxConcurrent, earnedSlots(r, now));
  slots = Math.floor(slots / 2 ** Math.min(30, excessReleases(r, now)));
  if (degraded) slots = Math.floor(slots / 2);
  return Math.max(1, slots);
}

/** Why an operator that gives back too much of its work is suspended, or null. */
export function releaseSuspension(r: OperatorRecord | undefined, now: number): string | null {
  if (!r || excessReleases(r, now) < SUSPEND_EXCESS) return null;
  const released = r.released.value(now);
  if (!atLeastRecent(released, FREE_RELEASES + SUSPEND_EXCESS)) return null;
  const done = r.completed.value(now).toFixed(1);
  return `repeated releases: ${released.toFixed(1)} leases given back against ${done} completed`;
}
