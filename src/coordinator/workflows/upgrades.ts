/**
 * Upgrades: moving jobs of a workflow to another of its versions.
 *
 *   --running   running jobs of other versions adopt it: steps are matched by id,
 *               steps already started or finished keep their state and are never
 *               re-run, pending steps take the new definition, added steps run when
 *               their inputs are ready
 *   --backfill  completed jobs of other versions adopt it and run only the added
 *               steps, from their stored outputs; a job already on the version is
 *               left alone, so a second backfill creates nothing
 *   --dry-run   counts the jobs and steps, writes nothing
 *
 * A version that drops a step a job has is refused (WORKFLOW_INVALID): a step
 * that ran cannot be un-run, and a job's record must keep meaning what it did.
 * The escrow of the added steps is reserved for every job at once, per paying
 * account, or the upgrade is refused with INSUFFICIENT_BALANCE and changes
 * nothing. Publishing alone never touches a job.
 */
import { CortenError, type UpgradeWorkflowResponse } from '../../protocol/index.js';
import type { Turn } from '../memory/index.js';
import { advance, jobEvent } from './job-progress.js';
import { pendingRun, type JobState, type WorkflowEntry } from './job-state.js';

export interface UpgradeHost {
  readonly jobs: Map<string, JobState>;
  costOf(entry: WorkflowEntry, steps?: WorkflowEntry['order']): number;
  jobsToBackfill(target: WorkflowEntry): Promise<JobState[]>;
}

export interface UpgradePlan {
  target: WorkflowEntry;
  running: JobState[];
  finished: JobState[];
}

/** The steps of `target` a job does not have; throws when the job has a step `target` drops. */
function addedSteps(job: JobState, target: WorkflowEntry): WorkflowEntry['order'] {
  const kept = new Set(target.order.map((s) => s.id));
  const dropped = [...job.runs.keys()].filter((id) => !kept.has(id));
  if (dropped.length > 0) {
    throw new CortenError(
      'WORKFLOW_INVALID',
      `${target.name}@${target.version} drops step '${dropped[0]}' that job ${job.id} (on ${job.workflow.version}) has; ` +
        'a version a job adopts keeps every step of it. Nothing was upgraded.',
      { details: { jobId: job.id, dropped } },
    );
  }
  return target.order.filter((s) => !job.runs.has(s.id));
}

/** Applies (or, for a dry run, counts) an upgrade in one turn. */
export async function upgrade(
  host: UpgradeHost,
  ctx: Parameters<typeof advance>[0],
  turn: Turn,
  target: WorkflowEntry,
  options: { running: boolean; backfill: boolean; dryRun: boolean },
): Promise<UpgradeWorkflowResponse> {
  const running = options.running
    ? [...host.jobs.values()].filter((j) => j.workflow.name === target.name && j.workflow.id !== target.id)
    : [];
  const finished = options.backfill ? await host.jobsToBackfill(target) : [];
  const all = [...running, ...finished];
  const plans = all.map((job) => ({ job, added: addedSteps(job, target) }));
  const costByAccount = new Map<string, number>();
  let escrowed = 0;
  let newSteps = 0;
  for (const { job, added } of plans) {
    newSteps += added.length;
    const cost = host.costOf(target, added);
    if (cost === 0) continue;
    const account = job.accountId ?? job.owner;
    costByAccount.set(account, (costByAccount.get(account) ?? 0) + cost);
    escrowed += cost;
  }
  const response = {
    workflowId: target.id,
    adopted: running.length,
    backfilled: finished.length,
    newSteps,
    escrowed,
    dryRun: options.dryRun,
  };
  if (options.dryRun) return response;
  // All or none: every account can pay before anything is written.
  for (const [account, cost] of costByAccount) {
    const balance = account.startsWith('acct_') ? ctx.trust.balance(account) : 0;
    if (balance < cost) {
      throw new CortenError(
        'INSUFFICIENT_BALANCE',
        `the added steps need ${cost} credits in escrow from ${account}, which holds ${balance}. Nothing was upgraded.`,
        { details: { account, balance, required: cost } },
      );
    }
  }
  const entries = new Map<string, string>();
  for (const [account, cost] of costByAccount) entries.set(account, ctx.trust.reserve(turn, account, cost, 0));
  for (const { job, added } of plans) {
    const from = job.workflow.version;
    const backfill = job.status !== 'running';
    job.workflow = target;
    for (const step of added) job.runs.set(step.id, pendingRun(step.id));
    const cost = host.costOf(target, added);
    if (cost > 0) {
      job.accountId = job.accountId ?? job.owner;
      job.reserved += cost;
      job.escrowEntry = entries.get(job.accountId) ?? job.escrowEntry;
    }
    job.status = 'running';
    turn.changes.push({
      op: 'job.update',
      id: job.id,
      set: {
        workflowId: target.id,
        accountId: job.accountId,
        status: 'running',
        reserved: job.reserved,
        escrowEntry: job.escrowEntry,
        updatedAt: turn.now,
        finishedAt: null,
      },
    });
    jobEvent(turn, job, 'job.upgraded', {
      jobId: job.id,
      from,
      to: target.version,
      newSteps: added.map((s) => s.id),
      backfill,
    });
    host.jobs.set(job.id, job);
    advance(ctx, turn, job);
    if (job.status !== 'running') host.jobs.delete(job.id);
  }
  return response;
}
