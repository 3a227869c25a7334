/**
 * Rows as the store reads and writes them, in the shape callers use (camelCase,
 * JSON columns left as text so callers decide when to parse).
 */

import type { AssignmentStatus, OperatorSample, OperatorStatus, TaskStatus } from '../protocol/index.js';

// The statuses are protocol: clients filter by them, the engine moves through them (protocol/statuses.ts).
export {
  TERMINAL_TASK_STATUSES,
  type AssignmentStatus,
  type OperatorStatus,
  type TaskStatus,
} from '../protocol/index.js';

export interface EuRow {
  id: string;
  name: string;
  version: string;
  manifest: string;
  files: string;
  publishedAt: number;
  /** Who owns the name (its first publisher): an account id or `network`. */
  owner: string;
}

export interface TaskRow {
  id: string;
  euId: string;
  status: TaskStatus;
  input: string;
  inputHash: string;
  seed: string;
  clock: number;
  quorum: number;
  maxReplicas: number;
  replicas: number;
  attempts: number;
  outputHash: string | null;
  resultAssignmentId: string | null;
  failure: string | null;
  failureMessage: string | null;
  submittedAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /** Who owns it (coordinator/ownership.ts): the submitting account, `anonymous` or `network`. */
  owner: string;
}

export type TaskUpdate = Partial<
  Omit<TaskRow, 'id' | 'euId' | 'input' | 'inputHash' | 'seed' | 'clock' | 'submittedAt' | 'owner'>
>;

export interface AssignmentRow {
  id: string;
  taskId: string;
  operatorId: string;
  attempt: number;
  status: AssignmentStatus;
  leasedAt: number;
  leaseExpiresAt: number;
  finishedAt: number | null;
  output: string | null;
  outputHash: string | null;
  errorCode: string | null;
  signature: string | null;
  /** JSON path from the result's statement to the signed Merkle root. */
  signatureProof: string | null;
  durationMs: number | null;
  cpuMs: number | null;
  memoryMb: number | null;
  endReason: string | null;
}

export type AssignmentUpdate = Partial<Omit<AssignmentRow, 'id' | 'taskId' | 'operatorId' | 'attempt' | 'leasedAt'>>;

/**
 * What an assignment update expects the row to hold before it changes it: the
 * lease fence. A row whose attempt or status differs was written by someone
 * else (or memory drifted from the store), so the update must not land.
 */
export interface AssignmentFence {
  attempt: number;
  status: AssignmentStatus;
}

export interface OperatorRow {
  id: string;
  publicKey: string;
  region: string;
  status: OperatorStatus;
  resources: string;
  maxConcurrent: number;
  firstSeenAt: number;
  lastSeenAt: number;
  statusReason: string | null;
}

export type OperatorUpdate = Partial<Omit<OperatorRow, 'id' | 'publicKey' | 'firstSeenAt'>>;

export interface RegionRow {
  name: string;
  down: boolean;
  source: 'admin' | 'failures';
  reason: string;
  changedAt: number;
}

export interface TaskFilter {
  status?: TaskStatus;
  euId?: string;
  /** Return the tasks that come after this task id in the listing's order (keyset paging). */
  after?: string;
  /** Only this owner's tasks; absent: everyone's. */
  owner?: string;
  /** Tasks whose id starts with this (a whole id finds that task). */
  idPrefix?: string;
  /** Failed tasks of this failure reason (`unverifiable`, `eu_error` …). */
  failure?: string;
  /** Tasks of which some assignment ran on this operator. */
  operatorId?: string;
  /** Tasks of which some assignment ran on an operator of this region. */
  region?: string;
  /** Submitted at or after this time (ms). */
  since?: number;
  /** Submitted before this time (ms). */
  until?: number;
  /** By submission time then id: `asc` (the default) oldest first, `desc` newest first. */
  order?: 'asc' | 'desc';
  limit: number;
}

/** Tasks counted by status, and the failed ones by failure reason. */
export interface TaskCounts {
  byStatus: Record<TaskStatus, number>;
  failures: Record<string, number>;
}

export interface EventFilter {
  /** Return events with seq greater than this. */
  after: number;
  limit: number;
  taskId?: string;
  operatorId?: string;
  types?: string[];
  /**
   * Who reads: absent, every event (the admin); null, public events only; an
   * owner, public events and that owner's.
   */
  visibleTo?: string | null;
}

/** A developer account. */
export interface AccountRow {
  id: string;
  name: string;
  keyHash: string;
  createdAt: number;
}

/** A ledger entry as stored: postings as JSON text. */
export interface LedgerEntryRow {
  seq: number;
  id: string;
  ts: number;
  kind: string;
  postings: string;
  prevHash: string;
  hash: string;
}

export interface TaskAccountRow {
  taskId: string;
  accountId: string;
  escrow: number;
  escrowEntry: string;
}

export interface WithdrawalRow {
  id: string;
  operatorId: string;
  amount: number;
  requestedAt: number;
  availableAt: number;
  requestEntry: string;
  paidEntry: string | null;
  paidAmount: number | null;
}

export interface ReputationRow {
  operatorId: string;
  streak: number;
  figures: string;
  updatedAt: number;
}

/** What an operator was ever rewarded and slashed (operator_totals). */
export interface OperatorTotalsRow {
  operatorId: string;
  earned: number;
  slashed: number;
  /** How many slashes. */
  slashes: number;
  updatedAt: number;
}

/** An operator's standing at one moment (operator_history), as GET /v1/operators/:id/history shows it. */
export interface OperatorSampleRow extends OperatorSample {
  operatorId: string;
}

/** The ledger as the coordinator reloads it at start. */
export interface LedgerSnapshot {
  balances: Map<string, number>;
  /** The last entry's seq and hash; seq 0 and the genesis hash when empty. */
  head: { seq: number; hash: string };
}

/** A published workflow version. */
export interface WorkflowRow {
  id: string;
  name: string;
  version: string;
  /** The validated document, JSON text. */
  document: string;
  /** Who owns the name (its first publisher). */
  owner: string;
  publishedAt: number;
}

export type JobStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** One run of one workflow version on one input. */
export interface JobRow {
  id: string;
  workflowId: string;
  /** The workflow's name (lists by name span its versions). */
  name: string;
  owner: string;
  /** Who pays for its priced steps; null when none is priced. */
  accountId: string | null;
  status: JobStatus;
  /** The input, JSON text. */
  input: string;
  /** Credits still reserved in escrow for steps whose tasks do not exist yet. */
  reserved: number;
  /** The ledger entry that last reserved escrow for it; its tasks' escrow entry. */
  escrowEntry: string | null;
  failure: string | null;
  submittedAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export type JobUpdate = Partial<
  Pick<
    JobRow,
    'workflowId' | 'accountId' | 'status' | 'reserved' | 'escrowEntry' | 'failure' | 'updatedAt' | 'finishedAt'
  >
>;

/** The state of one step of one job. */
export interface JobStepRow {
  jobId: string;
  stepId: string;
  status: string;
  euId: string | null;
  tasks: number;
  /** Output once verified, JSON text. */
  output: string | null;
  reason: string | null;
  updatedAt: number;
}

/** A task a step created: (job, step, index) is its idempotency key. */
export interface JobTaskRow {
  jobId: string;
  stepId: string;
  index: number;
  taskId: string;
}

/** A step task with what its task row says now (status, and its accepted output once verified). */
export interface JobTaskState extends JobTaskRow {
  /** The EU its task runs: a started step's EU until the step's row is written (job-progress.ts). */
  euId: string;
  status: TaskStatus;
  failure: string | null;
  /** The accepted output, JSON text; null until verified. */
  output: string | null;
}

export interface JobFilter {
  /** Jobs of this workflow name (every version). */
  name?: string;
  status?: JobStatus;
  owner?: string;
  /** Jobs submitted after this job id (keyset paging). */
  after?: string;
  limit: number;
}

/** Jobs with their steps and step tasks, as recovery and upgrades load them. */
export interface JobsSnapshot {
  jobs: JobRow[];
  steps: JobStepRow[];
  tasks: JobTaskState[];
}
