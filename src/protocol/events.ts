/**
 * The event map: every state change in corten is recorded as one of these,
 * in the same transaction as the change. The event log is the spine of the
 * interaction layer: the API pages it, the SSE stream tails it, the CLI and
 * tests wait on it.
 */

export type ExpiryReason = 'operator_offline' | 'lease_deadline' | 'proactive' | 'coordinator_restart';

export interface EventMap {
  'eu.published': { euId: string; name: string; version: string };
  'task.submitted': { taskId: string; euId: string };
  'task.assigned': { taskId: string; assignmentId: string; operatorId: string; region: string; attempt: number };
  /** A new assignment made because an earlier one of the task expired. */
  'task.reassigned': {
    taskId: string;
    assignmentId: string;
    operatorId: string;
    region: string;
    attempt: number;
    replaces: { assignmentId: string; operatorId: string; reason: ExpiryReason | 'released' };
  };
  'assignment.expired': { taskId: string; assignmentId: string; operatorId: string; reason: ExpiryReason };
  'assignment.cancelled': { taskId: string; assignmentId: string; operatorId: string; reason: string };
  /** The operator gave the assignment back without a result (draining, or unable to run it). */
  'assignment.released': { taskId: string; assignmentId: string; operatorId: string; reason: string };
  'result.received': {
    taskId: string;
    assignmentId: string;
    operatorId: string;
    outputHash: string;
    durationMs: number;
    error?: string;
  };
  /**
   * Results (and frames) of one operator that were refused, counted by code
   * since `since`: written at most once a second per operator, so no
   * operator can flood the log (see refusal-tally.ts). `sample` holds the
   * first few refusals verbatim.
   */
  'results.refused': {
    operatorId: string;
    total: number;
    counts: Record<string, number>;
    sample: { assignmentId: string; code: string; message: string; taskId?: string }[];
    since: number;
  };
  'verification.progress': {
    taskId: string;
    results: number;
    replicas: number;
    quorum: number;
    leading: number;
    distinct: number;
  };
  'task.escalated': { taskId: string; replicas: number; reason: string };
  /** `undecided`: operators whose results were rejected without a decisive verdict (semantic grey zone), never slashed.
   * */
  'task.verified': {
    taskId: string;
    outputHash: string;
    agreeing: string[];
    dissenting: string[];
    solo: boolean;
    undecided?: string[];
  };
  /**
   * The task ended without an accepted output. For `eu_error` a quorum of
   * operators agreed that the EU itself fails on this input: `agreeing` did
   * the work right, `dissenting` did not. For `eu_resource_exceeded` the EU
   * ran out of its time or memory on several operators; `agreeing` names them.
   */
  'task.failed': {
    taskId: string;
    /**
     * `cancelled`: by its owner or the admin (POST /v1/tasks/cancel). `insufficient_balance`: a priced submission a
     * follower accepted, which the paying account could no longer cover when the leader took it in.
     */
    reason:
      | 'unverifiable'
      | 'attempts_exhausted'
      | 'eu_error'
      | 'eu_resource_exceeded'
      | 'no_operator'
      | 'cancelled'
      | 'insufficient_balance';
    message: string;
    outputHash?: string;
    agreeing?: string[];
    dissenting?: string[];
  };
  'operator.online': { operatorId: string; region: string; resumed: number };
  'operator.offline': { operatorId: string; region: string; reason: string; expired: number };
  'operator.draining': { operatorId: string };
  'operator.degraded': { operatorId: string; reason: string };
  'operator.recovered': { operatorId: string };
  'operator.suspended': { operatorId: string; reason: string };
  'operator.reinstated': { operatorId: string };
  'region.down': { region: string; reason: string };
  'region.up': { region: string; reason: string };
  'coordinator.started': { coordinatorId: string; downtimeMs: number; recoveredTasks: number; recoveredLeases: number };
  'ledger.deposited': { account: string; amount: number; entryId: string };
  'ledger.escrowed': { account: string; amount: number; entryId: string; taskIds: number };
  'ledger.rewarded': { taskId: string; operatorId: string; amount: number; entryId: string };
  'ledger.refunded': { taskId: string; account: string; amount: number; entryId: string };
  'ledger.slashed': { operatorId: string; amount: number; reason: string; taskId?: string; entryId: string };
  'ledger.withdrawal_requested': { operatorId: string; amount: number; availableAt: number };
  /** Paid out of the coordinator: unbonded stake after its period, or earnings (absent on events written before it
   * was recorded). */
  'ledger.withdrawn': { operatorId: string; amount: number; entryId: string; source?: 'unbonding' | 'earnings' };
  /** A webhook for an operator's alerts (its URL and secret are not in the log). */
  'webhook.registered': { operatorId: string; webhookId: string; kinds: string[]; createdBy: 'operator' | 'admin' };
  'webhook.removed': { operatorId: string; webhookId: string };
  /** A delivery was given up after its last attempt failed. */
  'webhook.failed': { operatorId: string; webhookId: string; deliveryId: string; attempts: number; error: string };
  /** Escrow a job reserved and no task of it used (a skipped, cancelled or failed step) went back to its account. */
  'ledger.released': { jobId: string; account: string; amount: number; entryId: string };
  /**
   * No online operator can run the task's EU (requirements, `--eus`), or one can again:
   * written once per change, never per turn.
   */
  'task.waiting': { taskId: string; reason: 'no_capable_operator' | null };
  'workflow.published': { workflowId: string; name: string; version: string };
  'job.created': { jobId: string; workflowId: string };
  /** The step's inputs are ready and its tasks were created. */
  'job.step.ready': { jobId: string; stepId: string; euId: string; taskIds: string[] };
  /** The step's first task was leased. */
  'job.step.started': { jobId: string; stepId: string };
  'job.step.finished': {
    jobId: string;
    stepId: string;
    status: 'verified' | 'failed' | 'skipped' | 'cancelled';
    reason?: string;
  };
  /** The job moved to another version of its workflow: running (`--running`) or finished (`--backfill`). */
  'job.upgraded': { jobId: string; from: string; to: string; newSteps: string[]; backfill: boolean };
  'job.completed': { jobId: string };
  'job.failed': { jobId: string; stepId: string; reason: string };
  'job.cancelled': { jobId: string; cancelledTasks: number };
}

export type EventType = keyof EventMap;

/** An event as it is stored and served. */
export interface CortenEvent<T extends EventType = EventType> {
  /** Position in the log; strictly increasing. */
  seq: number;
  type: T;
  /** ms since epoch, coordinator clock. */
  ts: number;
  taskId: string | null;
  operatorId: string | null;
  /**
   * Who may read it (coordinator/ownership.ts): an account id, `anonymous`,
   * `network` (the admin only), or null for the network's public face.
   */
  owner: string | null;
  data: EventMap[T];
}

/** An event not yet written: the store gives it its seq, the engine its owner just before the commit. */
export type NewEvent<T extends EventType = EventType> = Omit<CortenEvent<T>, 'seq' | 'owner'> & {
  owner?: string | null;
};

export const EVENT_TYPES = [
  'eu.published',
  'task.submitted',
  'task.assigned',
  'task.reassigned',
  'assignment.expired',
  'assignment.cancelled',
  'assignment.released',
  'result.received',
  'results.refused',
  'verification.progress',
  'task.escalated',
  'task.verified',
  'task.failed',
  'operator.online',
  'operator.offline',
  'operator.draining',
  'operator.degraded',
  'operator.recovered',
  'operator.suspended',
  'operator.reinstated',
  'region.down',
  'region.up',
  'coordinator.started',
  'ledger.deposited',
  'ledger.escrowed',
  'ledger.rewarded',
  'ledger.refunded',
  'ledger.slashed',
  'ledger.withdrawal_requested',
  'ledger.withdrawn',
  'webhook.registered',
  'webhook.removed',
  'webhook.failed',
  'ledger.released',
  'task.waiting',
  'workflow.published',
  'job.created',
  'job.step.ready',
  'job.step.started',
  'job.step.finished',
  'job.upgraded',
  'job.completed',
  'job.failed',
  'job.cancelled',
] as const satisfies readonly EventType[];
