/**
 * A job's progress inside a turn: which steps are ready, the ordinary tasks they
 * create, what a verdict on one of those tasks means for its step and its job,
 * and how a job ends. Everything is written into the turn's change set, so a
 * step's progress commits in the same transaction as the verdict that caused it.
 *
 * Escrow: every step is reserved at submission (by the EUs its ranges resolve
 * to then; a map step for `maxItems` elements) and held as the job's `reserved`
 * credits. Creating a step's tasks takes their escrow from there; if the EU
 * resolved to a dearer version since, the difference is reserved from the
 * balance then, and the step fails with `insufficient_balance` when it cannot
 * be. What is left when the job ends (a short map, a skipped step, a failure, a
 * cancel) goes back to the account in one `ledger.released` movement.
 */
import {
  CortenError,
  hashJson,
  MAX_VALUE_DEPTH,
  valueTooDeep,
  type EventMap,
  type EventType,
  type WorkflowStep,
} from '../../protocol/index.js';
import { taskFlow } from '../lifecycle/index.js';
import type { EuState, TaskPayer, TaskState, Turn } from '../memory/index.js';
import { buildInput, conditionHolds, read, type StepScope } from './inputs.js';
import { isFinished, type JobState, type StepRun } from './job-state.js';
import type { WorkflowContext } from './workflow-context.js';

/** Writes a job event owned by the job's owner (it names no task, so the engine cannot tell). */
export function jobEvent<T extends EventType>(turn: Turn, job: JobState, type: T, data: EventMap[T]): void {
  turn.event(type, data);
  turn.changes.events[turn.changes.events.length - 1]!.owner = job.owner;
}

export function saveStep(turn: Turn, job: JobState, run: StepRun): void {
  turn.changes.push({
    op: 'job_step.upsert',
    row: {
      jobId: job.id,
      stepId: run.id,
      status: run.status,
      euId: run.euId,
      tasks: run.count,
      output: run.status === 'verified' ? JSON.stringify(run.output ?? null) : null,
      reason: run.reason,
      updatedAt: turn.now,
    },
  });
}

function saveReserve(turn: Turn, job: JobState): void {
  turn.changes.push({
    op: 'job.update',
    id: job.id,
    set: { reserved: job.reserved, updatedAt: turn.now },
  });
}

/** The scope a step's pointers read: the job's input and its verified steps' outputs. */
export function scopeOf(job: JobState): StepScope {
  const steps: Record<string, unknown> = {};
  for (const run of job.runs.values()) if (run.status === 'verified') steps[run.id] = run.output;
  return { input: job.input, steps };
}

/** What one task of the EU escrows: its price for each of the quorum it needs. */
export function perTask(eu: EuState): number {
  return eu.manifest.price * eu.manifest.verification.quorum;
}

/**
 * Makes every step whose inputs are ready start (or be skipped), in the
 * workflow's order; completes the job when every step is done.
 */
export function advance(ctx: WorkflowContext, turn: Turn, job: JobState): void {
  if (job.status !== 'running') return;
  for (const step of job.workflow.order) {
    const run = job.runs.get(step.id)!;
    if (run.status !== 'pending') continue;
    const reads = readsOf(job, step.id);
    if (reads === 'open') continue;
    if (reads === 'skipped') {
      skip(turn, job, run, 'a step it reads was skipped');
      continue;
    }
    const scope = scopeOf(job);
    if (step.when && !conditionHolds(step.when, scope)) {
      skip(turn, job, run, `condition ${step.when.pointer} ${step.when.op} is false`);
      continue;
    }
    startStep(ctx, turn, job, step, run, scope);
    if (job.status !== 'running') return;
  }
  for (const r of job.runs.values()) if (r.status !== 'verified' && r.status !== 'skipped') return;
  complete(ctx, turn, job);
}

/**
 * Where the steps a step reads are: `open` while one is unfinished (or failed or
 * cancelled: the job ends instead), `skipped` when one was skipped, else `verified`.
 */
function readsOf(job: JobState, stepId: string): 'open' | 'skipped' | 'verified' {
  let skipped = false;
  let open = false;
  for (const id of job.workflow.deps.get(stepId)!) {
    const status = job.runs.get(id)!.status;
    if (status === 'failed' || status === 'cancelled') return 'open';
    if (status === 'skipped') skipped = true;
    else if (status !== 'verified') open = true;
  }
  return skipped ? 'skipped' : open ? 'open' : 'verified';
}

function skip(turn: Turn, job: JobState, run: StepRun, reason: string): void {
  run.status = 'skipped';
  run.reason = reason;
  saveStep(turn, job, run);
  jobEvent(turn, job, 'job.step.finished', { jobId: job.id, stepId: run.id, status: 'skipped', reason });
}

/** Creates a ready step's tasks, or fails the step (and so the job) when it cannot run. */
function startStep(
  ctx: WorkflowContext,
  turn: Turn,
  job: JobState,
  step: WorkflowStep,
  run: StepRun,
  scope: StepScope,
): void {
  const eu = ctx.eus.resolveRange(step.eu);
  if (!eu) {
    failStep(ctx, turn, job, run, 'eu_not_found', `no published EU matches '${step.eu}'`);
    return;
  }
  let items: unknown[] = [undefined];
  if (step.map !== undefined) {
    const value = read(scope, step.map);
    if (!Array.isArray(value)) {
      failStep(ctx, turn, job, run, 'map_not_array', `${step.map} is not an array`);
      return;
    }
    if (value.length > step.maxItems!) {
      const message = `${step.map} has ${value.length} elements; the step declares maxItems ${step.maxItems}`;
      failStep(ctx, turn, job, run, 'map_too_long', message);
      return;
    }
    items = value;
  }
  const inputs: { text: string; hash: string }[] = [];
  for (let index = 0; index < items.length; index++) {
    const input = buildInput(step, step.map !== undefined ? { ...scope, item: items[index], index } : scope);
    const checked = checkInput(ctx, eu, input);
    if ('problem' in checked) {
      const where = step.map !== undefined ? ` (element ${index})` : '';
      failStep(ctx, turn, job, run, 'input_schema_mismatch', `${checked.problem}${where}`);
      return;
    }
    inputs.push({ text: checked.text, hash: hashJson(input) });
  }
  const payer = fund(ctx, turn, job, eu, inputs.length);
  if (payer === 'short') {
    const message = `account ${job.accountId} cannot cover ${inputs.length} tasks of ${eu.manifest.name}@${eu.manifest.version}`;
    failStep(ctx, turn, job, run, 'insufficient_balance', message);
    return;
  }
  run.euId = eu.id;
  run.count = inputs.length;
  run.outputs = new Array<unknown>(inputs.length);
  run.done = 0;
  const taskIds: string[] = [];
  inputs.forEach((input, index) => {
    const task = taskFlow.createTask(ctx, turn, eu, input, job.owner, payer, { jobId: job.id, stepId: step.id, index });
    turn.changes.push({ op: 'job_task.insert', row: { jobId: job.id, stepId: step.id, index, taskId: task.id } });
    job.open.add(task.id);
    taskIds.push(task.id);
  });
  if (inputs.length === 0) {
    // An empty map is done at once: its output is the empty array.
    run.status = 'verified';
    run.output = [];
    saveStep(turn, job, run);
    jobEvent(turn, job, 'job.step.finished', { jobId: job.id, stepId: step.id, status: 'verified' });
    return;
  }
  // Not written: its job_tasks rows say the step started, and a reader sees it ready from them (one write
  // less a step on the hot path). Its row is written when it finishes.
  run.status = 'ready';
  jobEvent(turn, job, 'job.step.ready', { jobId: job.id, stepId: step.id, euId: eu.id, taskIds });
}

/** A task input's text, or why `input` cannot be a task of `eu`. */
function checkInput(ctx: WorkflowContext, eu: EuState, input: unknown): { text: string } | { problem: string } {
  if (valueTooDeep(input, MAX_VALUE_DEPTH)) return { problem: `the input nests deeper than ${MAX_VALUE_DEPTH} levels` };
  const text = JSON.stringify(input ?? null);
  const limit = ctx.config.maxInputBytes;
  if (text.length > limit) return { problem: `the input is ${text.length} bytes; the limit is ${limit}` };
  const problem = eu.checkInput(input);
  if (problem)
    return { problem: `the input does not match ${eu.manifest.name}@${eu.manifest.version}'s schema: ${problem}` };
  return { text };
}

/** Takes `count` tasks' escrow from the job's reserve, topping it up from the balance when short. */
function fund(ctx: WorkflowContext, turn: Turn, job: JobState, eu: EuState, count: number): TaskPayer | null | 'short' {
  const each = perTask(eu);
  const cost = each * count;
  if (cost === 0) return null;
  if (job.accountId === null) return 'short';
  if (job.reserved < cost) {
    try {
      job.escrowEntry = ctx.trust.reserve(turn, job.accountId, cost - job.reserved, count);
    } catch (thrown) {
      if (thrown instanceof CortenError && thrown.code === 'INSUFFICIENT_BALANCE') return 'short';
      throw thrown;
    }
    job.reserved = cost;
  }
  job.reserved -= cost;
  saveReserve(turn, job);
  return { accountId: job.accountId, escrow: each, escrowEntry: job.escrowEntry ?? '' };
}

/** A step task reached its verdict: record its output, finish its step, start what is ready. */
export function taskSettled(
  ctx: WorkflowContext,
  turn: Turn,
  job: JobState,
  task: TaskState,
  status: 'verified' | 'failed',
  failure: string | null,
): void {
  job.open.delete(task.id);
  if (job.status !== 'running' || !task.job) return;
  const run = job.runs.get(task.job.stepId);
  if (!run || isFinished(run.status)) return;
  if (status === 'failed') {
    const reason = failure ?? 'failed';
    failStep(ctx, turn, job, run, reason, `task ${task.id} (element ${task.job.index}) failed: ${reason}`);
    return;
  }
  const accepted = task.assignments.find((a) => a.status === 'accepted' && a.output !== null);
  run.outputs[task.job.index] = accepted?.output ? (JSON.parse(accepted.output) as unknown) : null;
  run.done += 1;
  if (run.done < run.count) return;
  const step = job.workflow.order.find((s) => s.id === run.id)!;
  run.status = 'verified';
  run.output = step.map !== undefined ? run.outputs : run.outputs[0];
  saveStep(turn, job, run);
  jobEvent(turn, job, 'job.step.finished', { jobId: job.id, stepId: run.id, status: 'verified' });
  advance(ctx, turn, job);
}

/** A step task was leased for the first time: the step is running. */
export function taskStarted(turn: Turn, job: JobState, task: TaskState): void {
  const run = task.job ? job.runs.get(task.job.stepId) : undefined;
  if (!run || (run.status !== 'ready' && run.status !== 'waiting')) return;
  // Not written either: a reader sees the step running from its tasks' statuses.
  run.status = 'running';
  jobEvent(turn, job, 'job.step.started', { jobId: job.id, stepId: run.id });
}

function failStep(
  ctx: WorkflowContext,
  turn: Turn,
  job: JobState,
  run: StepRun,
  reason: string,
  message: string,
): void {
  run.status = 'failed';
  run.reason = message;
  saveStep(turn, job, run);
  jobEvent(turn, job, 'job.step.finished', { jobId: job.id, stepId: run.id, status: 'failed', reason });
  end(ctx, turn, job, 'failed', `${run.id}: ${message}`);
  jobEvent(turn, job, 'job.failed', { jobId: job.id, stepId: run.id, reason });
}

function complete(ctx: WorkflowContext, turn: Turn, job: JobState): void {
  end(ctx, turn, job, 'completed', null);
  jobEvent(turn, job, 'job.completed', { jobId: job.id });
}

/** Cancels a running job: its open tasks are cancelled (refunded in full) and its reserve released. */
export function cancelJob(ctx: WorkflowContext, turn: Turn, job: JobState): number {
  const cancelled = end(ctx, turn, job, 'cancelled', null);
  jobEvent(turn, job, 'job.cancelled', { jobId: job.id, cancelledTasks: cancelled });
  return cancelled;
}

/**
 * Ends a job: its open tasks are cancelled, its unfinished steps marked
 * cancelled, its unused reserve released. Returns the tasks cancelled.
 */
function end(
  ctx: WorkflowContext,
  turn: Turn,
  job: JobState,
  status: 'completed' | 'failed' | 'cancelled',
  failure: string | null,
): number {
  job.status = status;
  let cancelled = 0;
  for (const id of [...job.open]) {
    const task = ctx.memory.tasks.get(id);
    if (task) {
      taskFlow.cancelTask(ctx, turn, task, `its job ${job.id} ended (${status})`);
      cancelled += 1;
    }
  }
  job.open.clear();
  for (const run of job.runs.values()) {
    if (run.status === 'ready' || run.status === 'running' || run.status === 'waiting') {
      run.status = 'cancelled';
      saveStep(turn, job, run);
      jobEvent(turn, job, 'job.step.finished', { jobId: job.id, stepId: run.id, status: 'cancelled' });
    }
  }
  if (job.reserved > 0 && job.accountId) ctx.trust.release(turn, job.accountId, job.reserved, job.id);
  job.reserved = 0;
  turn.changes.push({
    op: 'job.update',
    id: job.id,
    set: { status, reserved: 0, failure, updatedAt: turn.now, finishedAt: turn.now },
  });
  return cancelled;
}
