/**
 * The Store is the one door to the database. Every method is async so that a
 * networked backend (PostgreSQL) can implement it without changing a caller;
 * the embedded SQLite backend answers synchronously underneath.
 *
 * Writes go through `commit(changeSet)`: one transaction per change set, and
 * every state change in it travels with its event.
 */
import type { CortenEvent } from '../protocol/index.js';
import type { ChangeSet } from './change-set.js';
import type {
  AssignmentRow,
  EuRow,
  EventFilter,
  OperatorRow,
  RegionRow,
  TaskCounts,
  TaskFilter,
  TaskRow,
  TaskStatus,
} from './rows.js';
import type { TrustStore } from './trust-store.js';
import type { WebhookStore } from './webhook-store.js';
import type { WorkflowStore } from './workflow-store.js';

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Reads of accounts, the ledger, withdrawals and reputation. */
  readonly trust: TrustStore;
  /** Reads of operators' webhooks, their deliveries and attempts. */
  readonly webhooks: WebhookStore;
  /** Reads of workflows, jobs, their steps and step tasks. */
  readonly workflows: WorkflowStore;

  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Commits every change of the set in one transaction; returns its events
   * with their seq. All or nothing: when any change fails, nothing of the set
   * is written and no seq is spent. An assignment update lands only on a row
   * still at its fence (attempt and status); a stale fence fails the commit
   * with STALE_FENCE (details: assignmentId, expected, found).
   */
  commit(changes: ChangeSet): Promise<CortenEvent[]>;

  getMeta(key: string): Promise<string | undefined>;

  getEu(id: string): Promise<EuRow | undefined>;
  findEu(name: string, version: string): Promise<EuRow | undefined>;
  listEus(): Promise<EuRow[]>;

  getTask(id: string): Promise<TaskRow | undefined>;
  listTasks(filter: TaskFilter): Promise<TaskRow[]>;
  /** Owners of the given tasks, by task id (for events about tasks no longer in memory). */
  getTaskOwners(ids: readonly string[]): Promise<Map<string, string>>;
  /** Inputs of the given tasks, as JSON text, by task id. */
  getTaskInputs(ids: readonly string[]): Promise<Map<string, string>>;
  countTasksByStatus(): Promise<Record<TaskStatus, number>>;
  /** Tasks by status and failures by reason: everyone's, or only `owner`'s. */
  countTasks(owner?: string): Promise<TaskCounts>;
  /** Tasks not yet verified or failed, oldest first, without their inputs (input is ''). */
  loadOpenTasks(): Promise<TaskRow[]>;

  listAssignments(taskId: string): Promise<AssignmentRow[]>;
  getAssignment(id: string): Promise<AssignmentRow | undefined>;
  /** Every assignment of the given (open) tasks, for recovery. */
  loadAssignmentsOfOpenTasks(): Promise<AssignmentRow[]>;

  getOperator(id: string): Promise<OperatorRow | undefined>;
  listOperators(): Promise<OperatorRow[]>;

  listRegions(): Promise<RegionRow[]>;

  listEvents(filter: EventFilter): Promise<CortenEvent[]>;
  lastEventSeq(): Promise<number>;
}
