/**
 * The task lifecycle, as the engine applies it inside a turn.
 *
 *   pending ──assign──▶ running ──first result, more wanted──▶ verifying
 *      ▲                   │                                     │
 *      └── lease lost ─────┘      disagreement ──▶ escalated ────┤
 *                                                                 ▼
 *                                                      verified | failed
 *
 * A task is `pending` while it waits for an operator (at submission, or after
 * every lease it held was lost), `running` while leases are out and no result
 * has come back, `verifying` while results are in but no verdict yet, and
 * `escalated` once disagreement asked for replicas beyond the quorum. It
 * reaches `verified` or `failed` exactly once; afterwards it leaves memory.
 *
 * Assignments: leased ──result──▶ submitted ──verdict──▶ accepted | rejected,
 * or leased ──▶ expired (silent operator, overdue lease) | released (given
 * back) | cancelled (the verdict came first). A result that arrives for a
 * lease that is no longer `leased`, or with another fencing token, is refused
 * and counted in `results.refused`; it never counts.
 */
import { coerceError, CortenError } from '../../protocol/index.js';
import type { FlowContext, NewInput } from './flow-context.js';
import {
  type AssignmentState,
  chargedAttempts,
  type EuState,
  freeSlot,
  type JobRef,
  isFreeLoss,
  liveAssignments,
  newId,
  newSeed,
  type OperatorState,
  replicasToAssign,
  type TaskPayer,
  type TaskState,
} from '../memory/index.js';
import type { Turn } from '../memory/index.js';
import type { TaskRow } from '../../store/index.js';
import { cancelLive, endResult, failForResources, finish, isEuResourceFault } from '../verification/index.js';

// ---- publish and submit ------------------------------------------------------

export function publish(ctx: FlowContext, turn: Turn, eu: EuState): { eu: EuState; created: boolean } {
  // Checked inside the single writer, so two first publishers of one name cannot both win.
  const nameOwner = ctx.eus.nameOwner(eu.manifest.name);
  if (nameOwner !== undefined && nameOwner !== eu.owner) {
    throw new CortenError(
      'EU_NAME_TAKEN',
      `the EU name '${eu.manifest.name}' belongs to another publisher; only its owner publishes versions of it. ` +
        'Choose another name.',
    );
  }
  const existing = ctx.eus.get(eu.id);
  if (existing) return { eu: existing, created: false };
  const sameVersion = ctx.eus.byNameVersion(eu.manifest.name, eu.manifest.version);
  if (sameVersion) {
    throw new CortenError(
      'EU_VERSION_CONFLICT',
      `${eu.manifest.name}@${eu.manifest.version} is already published with other content (id ${sameVersion.id}); EUs are immutable, publish a new version`,
      { details: { existingId: sameVersion.id, id: eu.id } },
    );
  }
  turn.changes.push({
    op: 'eu.insert',
    row: {
      id: eu.id,
      name: eu.manifest.name,
      version: eu.manifest.version,
      manifest: JSON.stringify(eu.manifest),
      files: JSON.stringify(eu.files),
      publishedAt: eu.publishedAt,
      owner: eu.owner,
    },
  });
  turn.event('eu.published', { euId: eu.id, name: eu.manifest.name, version: eu.manifest.version });
  ctx.eus.add(eu);
  return { eu, created: true };
}

/** Creates one task per input, owned by `owner`; `accountId` pays for a priced EU. */
export function submit(
  ctx: FlowContext,
  turn: Turn,
  eu: EuState,
  inputs: NewInput[],
  owner: string,
  accountId: string | null,
): string[] {
  // Escrow first: it refuses (writing nothing) when the account cannot pay.
  const payer = ctx.trust.escrow(turn, eu, accountId, inputs.length);
  return inputs.map((input) => createTask(ctx, turn, eu, input, owner, payer).id);
}

/**
 * Takes in a submission a follower accepted (store/postgres inbox) with the
 * ids it promised. A priced one is escrowed now; when the account can no
 * longer pay, its tasks are created and fail at once as
 * `insufficient_balance`, so every promised id answers and nothing is charged.
 */
export function takeIn(
  ctx: FlowContext,
  turn: Turn,
  eu: EuState,
  inputs: NewInput[],
  owner: string,
  accountId: string | null,
  ids: readonly string[],
): string[] {
  let payer: TaskPayer | null;
  try {
    payer = ctx.trust.escrow(turn, eu, accountId, inputs.length);
  } catch (error) {
    const refusal = coerceError(error);
    if (refusal.code !== 'INSUFFICIENT_BALANCE' && refusal.code !== 'UNAUTHORIZED') throw error;
    const message = `not run: ${refusal.message}`;
    return inputs.map((input, index) => {
      const task = createTask(ctx, turn, eu, input, owner, null, undefined, ids[index]);
      finish(ctx, turn, task, 'failed', { failure: 'insufficient_balance', failureMessage: message });
      turn.event('task.failed', { taskId: task.id, reason: 'insufficient_balance', message }, { taskId: task.id });
      return task.id;
    });
  }
  return inputs.map((input, index) => createTask(ctx, turn, eu, input, owner, payer, undefined, ids[index]).id);
}

/**
 * Creates one task, its row and its event, and queues it. `payer` holds its
 * escrow already (a submission's, or a job's reservation); `job` names the job
 * step it runs; `id`, when given, is the one the submitter was promised.
 */
export function createTask(
  ctx: FlowContext,
  turn: Turn,
  eu: EuState,
  input: NewInput,
  owner: string,
  payer: TaskPayer | null,
  job?: JobRef,
  /** An id promised already (a submission a follower took in); a new one otherwise. */
  id?: string,
): TaskState {
  const { verification } = eu.manifest;
  const keep = ctx.memory.holdInput(input.text);
  const task: TaskState = {
    id: id ?? newId('t', turn.now),
    eu,
    owner,
    status: 'pending',
    input: keep ? input.text : null,
    inputHash: input.hash,
    seed: newSeed(),
    clock: turn.now,
    quorum: verification.quorum,
    maxReplicas: verification.maxReplicas,
    replicas: verification.quorum,
    attempts: 0,
    freeAttempts: 0,
    submittedAt: turn.now,
    assignments: [],
    lostLeases: [],
    queued: false,
    readyAt: turn.now,
  };
  if (job) task.job = job;
  const row: TaskRow = {
    id: task.id,
    euId: eu.id,
    status: 'pending',
    input: input.text,
    inputHash: input.hash,
    seed: task.seed,
    clock: task.clock,
    quorum: task.quorum,
    maxReplicas: task.maxReplicas,
    replicas: task.replicas,
    attempts: 0,
    outputHash: null,
    resultAssignmentId: null,
    failure: null,
    failureMessage: null,
    submittedAt: turn.now,
    updatedAt: turn.now,
    finishedAt: null,
    owner,
  };
  turn.changes.push({ op: 'task.insert', row });
  turn.insertedTasks.set(task.id, row);
  turn.event('task.submitted', { taskId: task.id, euId: eu.id }, { taskId: task.id });
  ctx.trust.taskCreated(turn, task, payer);
  ctx.memory.tasks.set(task.id, task);
  ctx.scheduler.enqueue(task);
  return task;
}

/**
 * Cancels an open task: its leases are cancelled (their operators told to drop
 * them), results not yet judged are rejected without a verdict (so nobody is
 * slashed), and it fails as `cancelled`, which refunds its whole escrow.
 */
export function cancelTask(ctx: FlowContext, turn: Turn, task: TaskState, message: string): void {
  // Results not yet judged are rejected without a verdict against them: never slashed nor counted as dissent.
  for (const a of task.assignments) if (a.status === 'submitted') endResult(ctx, turn, a.id, 'rejected', true);
  cancelLive(ctx, turn, task, 'cancelled');
  finish(ctx, turn, task, 'failed', { failure: 'cancelled', failureMessage: message });
  turn.event('task.failed', { taskId: task.id, reason: 'cancelled', message }, { taskId: task.id });
}

// ---- assignment ----------------------------------------------------------------

/** Leases one replica of `task` to `op` (called by the scheduler). */
export function assign(ctx: FlowContext, turn: Turn, task: TaskState, op: OperatorState): void {
  const attempt = task.attempts + 1;
  if (attempt === 1) ctx.trust.firstLease(task, op);
  const leaseMs = task.eu.manifest.timeoutMs + ctx.config.leaseGraceMs;
  const a: AssignmentState = {
    id: newId('a', turn.now),
    taskId: task.id,
    operatorId: op.id,
    region: op.region,
    attempt,
    status: 'leased',
    leasedAt: turn.now,
    leaseExpiresAt: turn.now + leaseMs,
    finishedAt: null,
    outputHash: null,
    output: null,
    errorCode: null,
    signature: null,
    proof: [],
    durationMs: null,
  };
  if (task.waiting) markWaiting(turn, task, null);
  const readySince = Math.max(task.readyAt, op.freeSince ?? turn.now);
  task.attempts = attempt;
  task.assignments.push(a);
  if (task.status === 'pending') task.status = 'running';
  turn.dirtyTasks.add(task);
  ctx.memory.assignments.set(a.id, a);
  op.active.add(a.id);
  op.lastAssignedAt = turn.now;
  if (op.active.size >= op.slots) op.freeSince = null;

  turn.changes.push({
    op: 'assignment.insert',
    row: {
      id: a.id,
      taskId: task.id,
      operatorId: op.id,
      attempt,
      status: 'leased',
      leasedAt: turn.now,
      leaseExpiresAt: a.leaseExpiresAt,
      finishedAt: null,
      output: null,
      outputHash: null,
      errorCode: null,
      signature: null,
      signatureProof: null,
      durationMs: null,
      cpuMs: null,
      memoryMb: null,
      endReason: null,
    },
  });
  const refs = { taskId: task.id, operatorId: op.id };
  const replaced = task.lostLeases.shift();
  if (replaced) {
    turn.event(
      'task.reassigned',
      {
        taskId: task.id,
        assignmentId: a.id,
        operatorId: op.id,
        region: op.region,
        attempt,
        replaces: {
          assignmentId: replaced.assignmentId,
          operatorId: replaced.operatorId,
          reason: replaced.reason as 'lease_deadline',
        },
      },
      refs,
    );
  } else {
    turn.event(
      'task.assigned',
      { taskId: task.id, assignmentId: a.id, operatorId: op.id, region: op.region, attempt },
      refs,
    );
  }

  let wireEu = null;
  if (!op.sentEus.has(task.eu.id)) {
    op.sentEus.add(task.eu.id);
    wireEu = { id: task.eu.id, manifest: task.eu.manifest, files: task.eu.files };
  }
  turn.assign(
    op,
    {
      assignmentId: a.id,
      taskId: task.id,
      euId: task.eu.id,
      attempt,
      inputHash: task.inputHash,
      seed: task.seed,
      clock: task.clock,
      leaseMs,
    },
    task,
    wireEu,
    readySince,
  );
}
/** Records why a task cannot be placed now (null: it can again), with its event. */
export function markWaiting(turn: Turn, task: TaskState, reason: string | null): void {
  task.waiting = reason;
  turn.event('task.waiting', { taskId: task.id, reason: reason as 'no_capable_operator' | null }, { taskId: task.id });
}

// ---- lost leases -----------------------------------------------------------------------

/**
 * Ends a lease without a result (expired, or released by its operator) and
 * puts the task back at the front of its queue.
 */
export function loseLease(
  ctx: FlowContext,
  turn: Turn,
  a: AssignmentState,
  status: 'expired' | 'released',
  reason: string,
): void {
  const task = ctx.memory.tasks.get(a.taskId);
  if (!task || a.status !== 'leased') return;
  turn.updateAssignment(a, { status, finishedAt: turn.now, endReason: reason });
  a.status = status;
  a.finishedAt = turn.now;
  const op = ctx.operators.get(a.operatorId);
  if (op) freeSlot(op, a.id, turn.now);
  const refs = { taskId: task.id, operatorId: a.operatorId };
  if (status === 'expired') {
    turn.event(
      'assignment.expired',
      { taskId: task.id, assignmentId: a.id, operatorId: a.operatorId, reason: reason as 'lease_deadline' },
      refs,
    );
    // Still connected (an overdue lease): tell the operator to stop.
    if (op?.conn) turn.cancel(op.conn, a.id, reason);
  } else {
    turn.event('assignment.released', { taskId: task.id, assignmentId: a.id, operatorId: a.operatorId, reason }, refs);
  }
  task.lostLeases.push({
    assignmentId: a.id,
    operatorId: a.operatorId,
    reason: status === 'released' ? 'released' : reason,
  });
  if (isFreeLoss(status, reason)) task.freeAttempts += 1;
  // Alive but past its deadline: the EU may be the cause, judged with the task (eu-fault.ts).
  if (status === 'expired' && reason === 'lease_deadline' && op?.conn) a.overran = true;
  ctx.trust.leaseLost(turn, task, a, status, reason);
  if (a.overran && isEuResourceFault(task)) {
    failForResources(ctx, turn, task);
    return;
  }
  // Only losses the task's execution caused spend its budget: a release costs the releaser its standing instead.
  if (chargedAttempts(task) >= ctx.config.maxAttemptsPerTask) {
    for (const other of task.assignments) if (other.status === 'submitted') endResult(ctx, turn, other.id, 'rejected');
    cancelLive(ctx, turn, task, 'attempts_exhausted');
    const message = `${chargedAttempts(task)} assignments lost and none settled the task`;
    finish(ctx, turn, task, 'failed', { failure: 'attempts_exhausted', failureMessage: message });
    turn.event('task.failed', { taskId: task.id, reason: 'attempts_exhausted', message }, { taskId: task.id });
    return;
  }
  if (task.status === 'running' && liveAssignments(task) === 0) task.status = 'pending';
  turn.dirtyTasks.add(task);
  if (replicasToAssign(task) > 0) {
    task.readyAt = turn.now;
    ctx.scheduler.enqueue(task, true);
  }
}

/** Writes each changed open task's row once per turn. */
export function writeDirtyTasks(ctx: FlowContext, turn: Turn): void {
  for (const task of turn.dirtyTasks) {
    if (!ctx.memory.tasks.has(task.id)) continue;
    const inserted = turn.insertedTasks.get(task.id);
    if (inserted) {
      inserted.status = task.status;
      inserted.replicas = task.replicas;
      inserted.attempts = task.attempts;
      continue;
    }
    turn.changes.push({
      op: 'task.update',
      id: task.id,
      set: { status: task.status, replicas: task.replicas, attempts: task.attempts, updatedAt: turn.now },
    });
  }
  turn.dirtyTasks.clear();
}

// ---- cancel ------------------------------------------------------------------

/** What a cancel message says, in the task and in its `task.failed` event. */
export const CANCELLED_MESSAGE = 'cancelled by its owner or the admin';

/**
 * Cancels the open tasks among `ids` that `owner` owns (null: any owner, the admin's call):
 * live leases are cancelled and their operators told, results not yet judged are set aside
 * without blame, and the task fails as `cancelled` (its escrow refunded, nobody slashed or
 * paid). Returns the ids it cancelled; the others were not open (or not the owner's).
 */
export function cancel(ctx: FlowContext, turn: Turn, ids: readonly string[], owner: string | null): string[] {
  const cancelled: string[] = [];
  for (const id of new Set(ids)) {
    const task = ctx.memory.tasks.get(id);
    if (!task || (owner !== null && task.owner !== owner)) continue;
    cancelTask(ctx, turn, task, CANCELLED_MESSAGE);
    cancelled.push(id);
  }
  return cancelled;
}
