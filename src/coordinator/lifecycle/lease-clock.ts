/**
 * The lease clock: a lease's time counts from when its operator started the work.
 *
 * A lease is granted for the EU's timeout plus `leaseGraceMs`, counted from the turn that granted it.
 * Under load the assignment leaves the coordinator late (after the turn's commit) and reaches a busy
 * operator later still; counted from the grant, a lease could run out before the operator had the
 * work in hand. So the agent says, in its next heartbeat, how long ago it received each new
 * assignment, and the coordinator counts the lease from then:
 *
 *   start    = when the heartbeat was read − the age the operator gives
 *   deadline = max(granted deadline, start + lease length), at most the grant + 2 × lease length
 *
 * The start is read off the coordinator's clock (the two clocks are never compared), so it is later
 * than the true start by the frame's trip and by any time the frame waited to be read: the
 * coordinator's own lag is counted in the operator's favour, never against it.
 *
 * Bounds: one start a lease, only from the operator holding it, and never more than one lease length
 * past the grant (MAX_LEASE_LENGTHS): an operator that misstates its ages gains at most one lease of
 * time on a task, what a slow one takes anyway, and its lease still ends. Memory only: after a
 * restart, leases run on their stored deadlines plus the downtime (recovery.ts).
 */
import type { AssignmentState, TaskMemory } from '../memory/index.js';

/** A deadline moves to at most this many lease lengths after the grant. */
const MAX_LEASE_LENGTHS = 2;

/** Counts the leases `operatorId` reports as started `ageMs` before `readAt` from their start (see above). */
export function startLeases(
  memory: Pick<TaskMemory, 'assignments'>,
  operatorId: string,
  started: readonly (readonly [string, number])[],
  readAt: number,
): void {
  for (const [id, ageMs] of started) {
    const a = memory.assignments.get(id);
    if (!a || a.operatorId !== operatorId || a.status !== 'leased' || a.startedAt !== undefined) continue;
    startLease(a, readAt - ageMs);
  }
}

/** Counts `a` from `startedAt` (coordinator clock), within the bounds above. */
export function startLease(a: AssignmentState, startedAt: number): void {
  const length = a.leaseExpiresAt - a.leasedAt;
  a.startedAt = startedAt;
  a.leaseExpiresAt = Math.min(Math.max(a.leaseExpiresAt, startedAt + length), a.leasedAt + MAX_LEASE_LENGTHS * length);
}
