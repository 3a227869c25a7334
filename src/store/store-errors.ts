/**
 * What both backends say alike: the lease fence's refusal, and the shape of
 * a count of tasks by status.
 */
import { CortenError } from '../protocol/index.js';
import type { AssignmentFence, TaskStatus } from './rows.js';

/** The commit's refusal when an assignment row is no longer at its fence; nothing was written. */
export function staleFence(id: string, expected: AssignmentFence, found: AssignmentFence | null): CortenError {
  const now = found ? `attempt ${found.attempt}, ${found.status}` : 'no such row';
  return new CortenError(
    'STALE_FENCE',
    `assignment ${id} is no longer at attempt ${expected.attempt}, ${expected.status} ` +
      `(the store has ${now}): nothing was written`,
    { details: { assignmentId: id, expected, found } },
  );
}

/** Every task status at zero, for a count that fills in the statuses present. */
export function zeroStatusCounts(): Record<TaskStatus, number> {
  return { pending: 0, running: 0, verifying: 0, escalated: 0, verified: 0, failed: 0 };
}
