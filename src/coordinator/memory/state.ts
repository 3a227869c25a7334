/**
 * The coordinator's working memory: open tasks, their assignments, and the
 * operators. The database is the truth; this is a cache of its open part,
 * rebuilt from it at start (see recovery.ts), and changed only inside the
 * engine's loop, in step with the change set that persists it.
 */
import type { EuManifest, OperatorResources } from '../../protocol/index.js';
import type { AssignmentStatus, OperatorStatus, TaskStatus } from '../../store/index.js';

/** Who pays for a task and what is held for it in escrow (economics/settlement.ts fills it in). */
export interface TaskPayer {
  accountId: string;
  /** Credits escrowed for this task. */
  escrow: number;
  escrowEntry: string;
}

export interface EuState {
  id: string;
  manifest: EuManifest;
  files: Record<string, string>;
  publishedAt: number;
  /** Who owns its name (coordinator/ownership.ts). */
  owner: string;
  /** Checks an input against the manifest's input schema; returns an error message or null. */
  checkInput(input: unknown): string | null;
}

/** A live connection to an operator, as the gateway exposes it to the engine. */
export interface OperatorConnection {
  readonly connectionId: number;
  send(frame: string): void;
  close(code: number, reason: string): void;
}

export interface OperatorState {
  id: string;
  publicKey: string;
  region: string;
  resources: OperatorResources;
  /** What the operator declared it can run at once: a ceiling, never a grant. */
  maxConcurrent: number;
  /** Leases the coordinator lets it hold now (slot-policy.ts: slow start, releases, degradation). */
  slots: number;
  status: OperatorStatus;
  statusReason: string | null;
  conn: OperatorConnection | null;
  /** Leases this operator holds (assignment ids). */
  active: Set<string>;
  /** EU ids already sent over the current connection. */
  sentEus: Set<string>;
  firstSeenAt: number;
  lastSeenAt: number;
  /** The heartbeat interval it was told at its welcome (config.ts `heartbeatBudgetPerS`); absent: the configured. */
  heartbeatMs?: number;
  /** After a coordinator restart: when this operator's unresumed leases expire. */
  reconnectDeadline: number | null;
  /** When the scheduler last gave it work; spreads equal-load ties. */
  lastAssignedAt: number;
  /** Since when it has had a free slot (for scheduling latency); null while full. */
  freeSince: number | null;
}

export interface AssignmentState {
  id: string;
  taskId: string;
  operatorId: string;
  region: string;
  attempt: number;
  status: AssignmentStatus;
  leasedAt: number;
  /** When the lease runs out; in memory it may move later once the operator says when it started (lease-clock.ts). */
  leaseExpiresAt: number;
  /** When its operator started the work, as the coordinator inferred it from a heartbeat (memory only). */
  startedAt?: number;
  finishedAt: number | null;
  outputHash: string | null;
  /** The output as JSON text, kept until the verdict (the semantic verifier reads it). */
  output: string | null;
  errorCode: string | null;
  signature: string | null;
  /** Path from the result's statement to the Merkle root the signature covers. */
  proof: string[];
  durationMs: number | null;
  /** Rejected without a decisive verdict against it (semantic grey zone): not slashed, not counted as dissent. */
  undecided?: boolean;
  /**
   * The lease ran past its deadline while the operator kept heartbeating (eu-fault.ts).
   * Kept in memory only: after a restart an overrun is forgiven rather than judged.
   */
  overran?: boolean;
}

export interface TaskState {
  id: string;
  eu: EuState;
  /** Who owns it, and so its events and receipt (coordinator/ownership.ts). */
  owner: string;
  status: TaskStatus;
  /** Input JSON text; null when it was left in the store to save memory. */
  input: string | null;
  inputHash: string;
  seed: string;
  clock: number;
  quorum: number;
  maxReplicas: number;
  /** Results wanted now; grows on escalation. */
  replicas: number;
  /** Assignments made so far (the last fencing token). */
  attempts: number;
  /**
   * Of those, the ones that do not count against the task's budget of
   * attempts: released (the releaser pays in standing) or moved by the
   * coordinator (`proactive`, `coordinator_restart`). See `chargedAttempts`.
   */
  freeAttempts: number;
  submittedAt: number;
  /** Every assignment of the task, in attempt order. */
  assignments: AssignmentState[];
  /**
   * Leases that ended without a result and are not replaced yet, oldest first: each
   * reassignment names one in its `task.reassigned` event (two replicas lost in one turn are two).
   */
  lostLeases: { assignmentId: string; operatorId: string; reason: string }[];
  /** True while the task sits in a scheduling queue. */
  queued: boolean;
  /** Who pays for it (a priced EU); null or absent for a free one. */
  payer?: TaskPayer | null;
  /** True while adaptive replication lets one trusted operator run it alone. */
  solo?: boolean;
  /** When it last became ready for an operator (submitted, lease lost, escalated). */
  readyAt: number;
  /** The job step it runs, when a workflow created it (coordinator/workflows). */
  job?: JobRef;
  /** Why it cannot be placed now (no online operator can run its EU); null or absent when it can. */
  waiting?: string | null;
}

/** Which step of which job a task runs: (job, step, index) is its idempotency key. */
export interface JobRef {
  jobId: string;
  stepId: string;
  /** Position in a map step's array; 0 otherwise. */
  index: number;
}

export function liveAssignments(task: TaskState): number {
  let n = 0;
  for (const a of task.assignments) if (a.status === 'leased') n++;
  return n;
}

export function resultCount(task: TaskState): number {
  let n = 0;
  for (const a of task.assignments)
    if (a.status === 'submitted' || a.status === 'accepted' || a.status === 'rejected') n++;
  return n;
}

/** How many more assignments the task needs right now. */
export function replicasToAssign(task: TaskState): number {
  if (task.status === 'verified' || task.status === 'failed') return 0;
  return Math.max(0, task.replicas - liveAssignments(task) - resultCount(task));
}

/** Frees the slot an assignment held on its operator. */
export function freeSlot(op: OperatorState, assignmentId: string, now: number): void {
  if (!op.active.delete(assignmentId)) return;
  if (op.freeSince === null) op.freeSince = now;
}

export function canTakeWork(op: OperatorState): boolean {
  return (op.status === 'online' || op.status === 'degraded') && op.conn !== null && op.active.size < op.slots;
}

/** Reasons a lease ends without counting against the task's attempts: the coordinator's doing, not the task's. */
const FREE_LOSS_REASONS = new Set(['proactive', 'coordinator_restart']);

/** Whether a lease that ended this way leaves the task's budget of attempts alone. */
export function isFreeLoss(status: 'expired' | 'released', reason: string | null): boolean {
  return status === 'released' || FREE_LOSS_REASONS.has(reason ?? '');
}

/** Attempts that count against `maxAttemptsPerTask`. */
export function chargedAttempts(task: TaskState): number {
  return task.attempts - task.freeAttempts;
}
