/**
 * A ChangeSet is an ordered list of writes that the store commits in one
 * transaction. The coordinator builds one per turn of its loop (every state
 * change of the turn, each with its event) and hands it to `Store.commit`.
 * Writes are plain data, so a backend can batch them however suits it.
 */
import type { EventType, EventMap, NewEvent } from '../protocol/index.js';
import type {
  AccountRow,
  AssignmentFence,
  AssignmentRow,
  AssignmentUpdate,
  EuRow,
  JobRow,
  JobStepRow,
  JobTaskRow,
  JobUpdate,
  LedgerEntryRow,
  OperatorRow,
  OperatorSampleRow,
  OperatorTotalsRow,
  OperatorUpdate,
  RegionRow,
  ReputationRow,
  TaskAccountRow,
  TaskRow,
  TaskUpdate,
  WithdrawalRow,
  WorkflowRow,
} from './rows.js';
import type { WebhookChange } from './webhook-store.js';

export type Change =
  | { op: 'meta.set'; key: string; value: string }
  | { op: 'eu.insert'; row: EuRow }
  | { op: 'task.insert'; row: TaskRow }
  | { op: 'task.update'; id: string; set: TaskUpdate }
  | { op: 'assignment.insert'; row: AssignmentRow }
  /** Lands only on a row that still holds `fence`; otherwise the whole commit fails with STALE_FENCE. */
  | { op: 'assignment.update'; id: string; fence: AssignmentFence; set: AssignmentUpdate }
  | { op: 'operator.upsert'; row: OperatorRow }
  | { op: 'operator.update'; id: string; set: OperatorUpdate }
  | { op: 'region.upsert'; row: RegionRow }
  /** A follower's accepted submission, taken in by the leader in this commit (PostgreSQL only). */
  | { op: 'inbox.delete'; id: number }
  | TrustChange
  | WebhookChange
  | WorkflowChange
  | { op: 'event'; event: NewEvent };

/** Writes of workflows and jobs (store/sqlite-workflows.ts applies them). */
export type WorkflowChange =
  | { op: 'workflow.insert'; row: WorkflowRow }
  | { op: 'job.insert'; row: JobRow }
  | { op: 'job.update'; id: string; set: JobUpdate }
  | { op: 'job_step.upsert'; row: JobStepRow }
  /** Fails the commit when (job, step, index) already has a task: a step task is created once. */
  | { op: 'job_task.insert'; row: JobTaskRow };

/** Writes of the trust and economics subsystem (store/sqlite-trust.ts applies them). */
export type TrustChange =
  | { op: 'account.insert'; row: AccountRow }
  | { op: 'ledger.insert'; row: LedgerEntryRow }
  | { op: 'ledger.balance'; account: string; balance: number; updatedAt: number }
  | { op: 'ledger.ref'; taskId: string; entryId: string }
  | { op: 'task.account'; row: TaskAccountRow }
  | { op: 'withdrawal.insert'; row: WithdrawalRow }
  | { op: 'withdrawal.paid'; id: string; paidEntry: string; paidAmount: number }
  | { op: 'reputation.upsert'; row: ReputationRow }
  | { op: 'operator_totals.upsert'; row: OperatorTotalsRow }
  | { op: 'operator_sample.insert'; row: OperatorSampleRow }
  /** Deletes every operator's samples older than `before`. */
  | { op: 'operator_sample.prune'; before: number };

export class ChangeSet {
  readonly changes: Change[] = [];
  /** The events of this change set, in order; `Store.commit` fills in their seq. */
  readonly events: NewEvent[] = [];

  get size(): number {
    return this.changes.length;
  }

  push(change: Change): void {
    this.changes.push(change);
  }

  event<T extends EventType>(
    type: T,
    ts: number,
    data: EventMap[T],
    refs: { taskId?: string | null; operatorId?: string | null } = {},
  ): void {
    const event: NewEvent = {
      type,
      ts,
      data,
      taskId: refs.taskId ?? null,
      operatorId: refs.operatorId ?? null,
    } as NewEvent;
    this.events.push(event);
    this.changes.push({ op: 'event', event });
  }
}
