/**
 * The workflows part: published workflow versions, and the running jobs in
 * memory. It reacts to the turn's domain facts: a verdict on a step's task is
 * collected as it is stated and acted on at the end of the same turn (before
 * settlement closes), so the next steps' tasks and the job's progress commit in
 * the verdict's own transaction. Commands (publish, submit, cancel, upgrade)
 * run inside engine turns like every other state change.
 */
import { CortenError, type JobStatus, type UpgradeWorkflowResponse } from '../../protocol/index.js';
import type { JobsSnapshot, WorkflowRow } from '../../store/index.js';
import {
  compareSemver,
  newId,
  type DomainFactListener,
  type TaskState,
  type Turn,
  type VerdictReached,
} from '../memory/index.js';
import { compileWorkflow } from './document.js';
import { advance, cancelJob, jobEvent, perTask, taskSettled, taskStarted } from './job-progress.js';
import { pendingRun, type JobState, type StepRun, type WorkflowEntry } from './job-state.js';
import { upgrade } from './upgrades.js';
import type { WorkflowContext } from './workflow-context.js';

export class Workflows implements DomainFactListener {
  private readonly byId = new Map<string, WorkflowEntry>();
  private readonly byRef = new Map<string, WorkflowEntry>();
  private readonly latest = new Map<string, WorkflowEntry>();
  /** Running jobs. */
  readonly jobs = new Map<string, JobState>();
  /** Verdicts on step tasks stated this turn, acted on at its end. */
  private settled: VerdictReached[] = [];

  constructor(private readonly ctx: WorkflowContext) {}

  // ---- the registry ------------------------------------------------------------------

  add(entry: WorkflowEntry): void {
    this.byId.set(entry.id, entry);
    this.byRef.set(`${entry.name}@${entry.version}`, entry);
    const current = this.latest.get(entry.name);
    if (!current || compareSemver(entry.version, current.version) > 0) this.latest.set(entry.name, entry);
  }

  fromRow(row: WorkflowRow): WorkflowEntry {
    const compiled = compileWorkflow(JSON.parse(row.document));
    return {
      ...compiled,
      id: row.id,
      name: row.name,
      version: row.version,
      owner: row.owner,
      publishedAt: row.publishedAt,
    };
  }

  get(id: string): WorkflowEntry | undefined {
    return this.byId.get(id);
  }

  /** Who owns the name; undefined while nobody has published it. */
  nameOwner(name: string): string | undefined {
    return this.latest.get(name)?.owner;
  }

  /** `wf_…`, `name@version`, or a name (its latest version). */
  resolve(ref: string): WorkflowEntry {
    const entry = ref.startsWith('wf_')
      ? this.byId.get(ref)
      : ref.includes('@')
        ? this.byRef.get(ref)
        : this.latest.get(ref);
    if (!entry) throw new CortenError('WORKFLOW_NOT_FOUND', `no workflow '${ref}' is published (GET /v1/workflows)`);
    return entry;
  }

  all(): WorkflowEntry[] {
    return [...this.byId.values()];
  }

  // ---- commands (inside a turn) ----------------------------------------------------------

  /** Publishes a version; the same content again is not an error (created: false). */
  publish(turn: Turn, entry: WorkflowEntry): { entry: WorkflowEntry; created: boolean } {
    const owner = this.nameOwner(entry.name);
    if (owner !== undefined && owner !== entry.owner) {
      throw new CortenError(
        'WORKFLOW_NAME_TAKEN',
        `the workflow name '${entry.name}' belongs to another publisher; choose another name`,
      );
    }
    const existing = this.byId.get(entry.id);
    if (existing) return { entry: existing, created: false };
    const same = this.byRef.get(`${entry.name}@${entry.version}`);
    if (same) {
      throw new CortenError(
        'WORKFLOW_VERSION_CONFLICT',
        `${entry.name}@${entry.version} is already published with other content (id ${same.id}); publish a new version`,
        { details: { existingId: same.id, id: entry.id } },
      );
    }
    const issues = entry.order
      .map((step, i) => ({ step, i }))
      .filter(({ step }) => this.ctx.eus.resolveRange(step.eu) === undefined)
      .map(({ step, i }) => ({ path: `document.steps.${i}.eu`, message: `no published EU matches '${step.eu}'` }));
    if (issues.length > 0) {
      throw new CortenError(
        'WORKFLOW_INVALID',
        `invalid workflow document: ${issues[0]!.path}: ${issues[0]!.message}`,
        {
          details: { issues },
        },
      );
    }
    turn.changes.push({
      op: 'workflow.insert',
      row: {
        id: entry.id,
        name: entry.name,
        version: entry.version,
        document: JSON.stringify(entry.document),
        owner: entry.owner,
        publishedAt: entry.publishedAt,
      },
    });
    turn.event('workflow.published', { workflowId: entry.id, name: entry.name, version: entry.version });
    turn.changes.events[turn.changes.events.length - 1]!.owner = entry.owner;
    this.add(entry);
    return { entry, created: true };
  }

  /** What one job of `entry` reserves: every step, a map step for its maxItems. */
  costOf(entry: WorkflowEntry, steps = entry.order): number {
    let total = 0;
    for (const step of steps) {
      const eu = this.ctx.eus.resolveRange(step.eu);
      if (eu) total += perTask(eu) * (step.maxItems ?? 1);
    }
    return total;
  }

  /**
   * Creates one job per input, all or none: the escrow of every step of every
   * job is reserved in one entry first, or the batch is refused with
   * INSUFFICIENT_BALANCE before anything is written.
   */
  submit(turn: Turn, entry: WorkflowEntry, inputs: string[], owner: string, accountId: string | null): string[] {
    const each = this.costOf(entry);
    const total = each * inputs.length;
    let escrowEntry: string | null = null;
    if (total > 0) {
      if (accountId === null) {
        throw new CortenError(
          'UNAUTHORIZED',
          `${entry.name}@${entry.version} runs priced EUs (${each} credits a job): submit with an account's API key`,
        );
      }
      const balance = this.ctx.trust.balance(accountId);
      if (balance < total) {
        throw new CortenError(
          'INSUFFICIENT_BALANCE',
          `${inputs.length} jobs of ${entry.name}@${entry.version} need ${total} credits in escrow (${each} a job for every step); account ${accountId} holds ${balance}. Nothing was submitted.`,
          { details: { accountId, balance, required: total, perJob: each, jobs: inputs.length } },
        );
      }
      const tasks = entry.order.reduce((n, s) => n + (s.maxItems ?? 1), 0) * inputs.length;
      escrowEntry = this.ctx.trust.reserve(turn, accountId, total, tasks);
    }
    const ids: string[] = [];
    for (const text of inputs) {
      const job: JobState = {
        id: newId('j', turn.now),
        workflow: entry,
        owner,
        accountId: total > 0 ? accountId : null,
        status: 'running',
        input: JSON.parse(text) as unknown,
        inputText: text,
        reserved: each,
        escrowEntry,
        runs: new Map(entry.order.map((s) => [s.id, pendingRun(s.id)])),
        open: new Set(),
        submittedAt: turn.now,
      };
      turn.changes.push({
        op: 'job.insert',
        row: {
          id: job.id,
          workflowId: entry.id,
          name: entry.name,
          owner,
          accountId: job.accountId,
          status: 'running',
          input: text,
          reserved: each,
          escrowEntry,
          failure: null,
          submittedAt: turn.now,
          updatedAt: turn.now,
          finishedAt: null,
        },
      });
      jobEvent(turn, job, 'job.created', { jobId: job.id, workflowId: entry.id });
      this.jobs.set(job.id, job);
      advance(this.ctx, turn, job);
      this.sweep(job);
      ids.push(job.id);
    }
    return ids;
  }

  /** Cancels a running job; false when it is not running (finished, or not held here). */
  cancel(turn: Turn, jobId: string): { cancelled: boolean; tasks: number } {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'running') return { cancelled: false, tasks: 0 };
    const tasks = cancelJob(this.ctx, turn, job);
    this.sweep(job);
    return { cancelled: true, tasks };
  }

  /** Moves jobs of `target`'s name to it (upgrades.ts). */
  upgrade(
    turn: Turn,
    target: WorkflowEntry,
    options: { running: boolean; backfill: boolean; dryRun: boolean },
  ): Promise<UpgradeWorkflowResponse> {
    return upgrade(this, this.ctx, turn, target, options);
  }

  /** Completed jobs of `target`'s name on other versions, as a backfill adopts them. */
  async jobsToBackfill(target: WorkflowEntry): Promise<JobState[]> {
    const snapshot = await this.ctx.store.workflows.loadJobsToUpgrade(target.name, 'completed', target.id);
    return this.jobsFrom(snapshot, 'completed');
  }

  // ---- domain facts and the turn -----------------------------------------------------------

  verdictReached(_turn: Turn, fact: VerdictReached): void {
    if (fact.task.job) this.settled.push(fact);
  }

  /** A task was leased: its step may have started. */
  taskAssigned(turn: Turn, task: TaskState): void {
    if (!task.job || task.attempts !== 1) return;
    const job = this.jobs.get(task.job.jobId);
    if (job) taskStarted(turn, job, task);
  }

  /** Acts on the turn's verdicts on step tasks; runs before settlement closes the turn. */
  endTurn(turn: Turn): void {
    while (this.settled.length > 0) {
      const facts = this.settled;
      this.settled = [];
      for (const { task, status, failure } of facts) {
        const job = this.jobs.get(task.job!.jobId);
        if (!job) continue;
        taskSettled(this.ctx, turn, job, task, status, failure);
        this.sweep(job);
      }
    }
  }

  /** Drops a finished job from memory. */
  private sweep(job: JobState): void {
    if (job.status !== 'running') this.jobs.delete(job.id);
  }

  // ---- recovery -------------------------------------------------------------------------------

  /** Rebuilds the registry and the running jobs from the store (at start, after tasks are loaded). */
  async load(): Promise<void> {
    for (const row of await this.ctx.store.workflows.listWorkflows()) this.add(this.fromRow(row));
    const snapshot = await this.ctx.store.workflows.loadOpenJobs();
    for (const job of this.jobsFrom(snapshot, 'running')) this.jobs.set(job.id, job);
    for (const ref of snapshot.tasks) {
      const task = this.ctx.memory.tasks.get(ref.taskId);
      if (task) task.job = { jobId: ref.jobId, stepId: ref.stepId, index: ref.index };
    }
  }

  /** After recovery: start whatever is ready (a step task is created once: its key is (job, step, index)). */
  resume(turn: Turn): void {
    for (const job of [...this.jobs.values()]) {
      advance(this.ctx, turn, job);
      this.sweep(job);
    }
  }

  /** Jobs as the store holds them, with their steps, outputs and open tasks. */
  jobsFrom(snapshot: JobsSnapshot, status: JobStatus): JobState[] {
    const steps = new Map<string, StepRun[]>();
    for (const row of snapshot.steps) {
      const list = steps.get(row.jobId) ?? [];
      list.push({
        id: row.stepId,
        status: row.status as StepRun['status'],
        euId: row.euId,
        count: row.tasks,
        done: 0,
        outputs: new Array<unknown>(row.tasks),
        output: row.output === null ? null : (JSON.parse(row.output) as unknown),
        reason: row.reason,
      });
      steps.set(row.jobId, list);
    }
    const jobs = new Map<string, JobState>();
    for (const row of snapshot.jobs) {
      const workflow = this.byId.get(row.workflowId);
      if (!workflow) throw new Error(`job ${row.id} runs unknown workflow ${row.workflowId}`);
      const runs = new Map(workflow.order.map((s) => [s.id, pendingRun(s.id)]));
      for (const run of steps.get(row.id) ?? []) runs.set(run.id, run);
      jobs.set(row.id, {
        id: row.id,
        workflow,
        owner: row.owner,
        accountId: row.accountId,
        status,
        input: JSON.parse(row.input) as unknown,
        inputText: row.input,
        reserved: row.reserved,
        escrowEntry: row.escrowEntry,
        runs,
        open: new Set(),
        submittedAt: row.submittedAt,
      });
    }
    for (const t of snapshot.tasks) {
      const job = jobs.get(t.jobId);
      const run = job?.runs.get(t.stepId);
      if (!job || !run) continue;
      // A started step has no row until it finishes (job-progress.ts): its tasks make it ready.
      if (run.status === 'pending') {
        run.status = 'ready';
        run.euId = t.euId;
      }
      if (run.status === 'ready') run.count = Math.max(run.count, t.index + 1);
      if (t.status === 'verified') {
        run.outputs[t.index] = t.output === null ? null : (JSON.parse(t.output) as unknown);
        run.done += 1;
      } else if (t.status !== 'failed') {
        job.open.add(t.taskId);
      }
    }
    return [...jobs.values()];
  }
}
