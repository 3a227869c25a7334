/**
 * Jobs in working memory. A job is one run of one workflow version on one input:
 *
 *   running ──every step verified or skipped──▶ completed
 *      │──a step failed──────────────────────▶ failed     (its other tasks cancelled)
 *      └──cancelled────────────────────────────▶ cancelled  (its tasks cancelled)
 *
 * and, by a backfill, completed ──▶ running again, for the new steps only.
 *
 * Each step: pending (inputs not ready) ──▶ ready (tasks created) ──▶ running (a task
 * leased) ──▶ verified | failed, or pending ──▶ skipped (its condition is false, or it
 * reads a skipped step), or ──▶ cancelled with its job. Only running jobs are held;
 * a finished job leaves memory (the store keeps it).
 */
import type { JobStatus, StepStatus } from '../../protocol/index.js';
import type { CompiledWorkflow } from './document.js';

/** A published workflow version, as the coordinator holds it. */
export interface WorkflowEntry extends CompiledWorkflow {
  name: string;
  version: string;
  owner: string;
  publishedAt: number;
}

export interface StepRun {
  id: string;
  status: StepStatus;
  /** The EU its tasks were created with. */
  euId: string | null;
  /** Tasks created (a map step: one per element). */
  count: number;
  /** Tasks verified so far. */
  done: number;
  /** Outputs by task index, as they are verified. */
  outputs: unknown[];
  /** The step's output once verified (a map step: the array of its outputs). */
  output: unknown;
  reason: string | null;
}

export interface JobState {
  id: string;
  workflow: WorkflowEntry;
  owner: string;
  accountId: string | null;
  status: JobStatus;
  input: unknown;
  inputText: string;
  /** Credits still reserved in escrow for steps whose tasks do not exist yet. */
  reserved: number;
  /** The ledger entry that last reserved escrow for it (its tasks' escrow entry). */
  escrowEntry: string | null;
  runs: Map<string, StepRun>;
  /** Its tasks not yet verified or failed. */
  open: Set<string>;
  submittedAt: number;
}

export function pendingRun(id: string): StepRun {
  return { id, status: 'pending', euId: null, count: 0, done: 0, outputs: [], output: null, reason: null };
}

export function isFinished(status: StepStatus): boolean {
  return status === 'verified' || status === 'failed' || status === 'skipped' || status === 'cancelled';
}
