/**
 * The turn's domain facts: what happened to a task or a lease, in the words the parts
 * that react to it use. The lifecycles and verification state a fact where it happens;
 * economics and reputation react to it at once, inside the same command of the same turn,
 * so what they write rides in the turn's one transaction with the change that caused it.
 */
import type { AssignmentState, TaskState } from './state.js';
import type { Turn } from './turn.js';

/** A task reached its terminal state (a verdict, or a failure with no verdict). */
export interface VerdictReached {
  task: TaskState;
  status: 'verified' | 'failed';
  /** Why it failed (`unverifiable`, `eu_error` …); null when verified. */
  failure: string | null;
}

/** A lease ended without a result. */
export interface LeaseLost {
  task: TaskState;
  assignment: AssignmentState;
  status: 'expired' | 'released';
  reason: string;
  /** Whether the operator is to blame: false for losses the coordinator caused (a restart). */
  blamed: boolean;
}

/** A part that reacts to domain facts; each reaction runs in the turn that states the fact. */
export interface DomainFactListener {
  verdictReached?(turn: Turn, fact: VerdictReached): void;
  leaseLost?(turn: Turn, fact: LeaseLost): void;
}
