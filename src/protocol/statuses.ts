/**
 * The lifecycle states the coordinator stores and every client reads
 * (see docs/architecture.md, "Lifecycles"). One list each: the API's
 * filters, the store's rows and the engine's state all take them from here.
 */

/** A task: `pending → running → verifying → verified | failed`, `escalated` when it wants more replicas. */
export const TASK_STATUSES = ['pending', 'running', 'verifying', 'escalated', 'verified', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A task in one of these has its verdict and never moves again. */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['verified', 'failed'];

/** An assignment: `leased → submitted → accepted | rejected`, or it ended early (expired, released, cancelled). */
export const ASSIGNMENT_STATUSES = [
  'leased',
  'submitted',
  'accepted',
  'rejected',
  'expired',
  'released',
  'cancelled',
] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

/** An operator: `joining → online ⇄ degraded → offline`, plus `draining` and `suspended`. */
export const OPERATOR_STATUSES = ['joining', 'online', 'degraded', 'draining', 'offline', 'suspended'] as const;
export type OperatorStatus = (typeof OPERATOR_STATUSES)[number];
