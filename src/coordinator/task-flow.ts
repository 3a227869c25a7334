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
 * and recorded as `result.refused`; it never counts.
 */
import { CortenError, hashJson, verify as verifySignature, type ResultItem, type ResultStatement } from '../protocol/index.js';
import type { Engine, NewInput } from './engine.js';
import { newId, newSeed } from './ids.js';
import { liveAssignments, replicasToAssign, type AssignmentState, type EuState, type OperatorConnection, type OperatorState, type TaskState } from './state.js';
import type { Turn } from './turn.js';
import { decide, groupByHash, type ResultView } from './verifier.js';

// ---- publish and submit ------------------------------------------------------

export function publish(engine: Engine, turn: Turn, eu: EuState): { eu: EuState; created: boolean } {
  const existing = engine.eus.get(eu.id);
  if (existing) return { eu: existing, created: false };
  const sameVersion = engine.eus.byNameVersion(eu.manifest.name, eu.manifest.version);
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
    },
  });
  turn.event('eu.published', { euId: eu.id, name: eu.manifest.name, version: eu.manifest.version });
  engine.eus.add(eu);
  return { eu, created: true };
}

export function submit(engine: Engine, turn: Turn, eu: EuState, inputs: NewInput[]): string[] {
  const { verification } = eu.manifest;
  const ids: string[] = [];
  for (const input of inputs) {
    const keep = engine.inputCacheBytes + input.text.length <= engine.config.inputCacheBytes;
    if (keep) engine.inputCacheBytes += input.text.length;
    const task: TaskState = {
      id: newId('t', turn.now),
      eu,
      status: 'pending',
      input: keep ? input.text : null,
      inputHash: input.hash,
      seed: newSeed(),
      clock: turn.now,
      quorum: verification.quorum,
      maxReplicas: verification.maxReplicas,
      replicas: verification.quorum,
      attempts: 0,
      submittedAt: turn.now,
      assignments: [],
      lastLost: null,
      queued: false,
    };
    turn.changes.push({
      op: 'task.insert',
      row: {
        id: task.id, euId: eu.id, status: 'pending', input: input.text, inputHash: input.hash, seed: task.seed, clock: task.clock,
        quorum: task.quorum, maxReplicas: task.maxReplicas, replicas: task.replicas, attempts: 0, outputHash: null,
        resultAssignmentId: null, failure: null, failureMessage: null, submittedAt: turn.now, updatedAt: turn.now, finishedAt: null,
      },
    });
    turn.event('task.submitted', { taskId: task.id, euId: eu.id }, { taskId: task.id });
    engine.tasks.set(task.id, task);
    engine.scheduler.enqueue(task);
    ids.push(task.id);
  }
  return ids;
}

// ---- assignment ----------------------------------------------------------------

/** Leases one replica of `task` to `op` (called by the scheduler). */
export function assign(engine: Engine, turn: Turn, task: TaskState, op: OperatorState): void {
  const attempt = task.attempts + 1;
  const leaseMs = task.eu.manifest.timeoutMs + engine.config.leaseGraceMs;
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
    durationMs: null,
  };
  task.attempts = attempt;
  task.assignments.push(a);
  if (task.status === 'pending') task.status = 'running';
  turn.dirtyTasks.add(task);
  engine.assignments.set(a.id, a);
  op.active.add(a.id);
  op.lastAssignedAt = turn.now;

  turn.changes.push({
    op: 'assignment.insert',
    row: {
      id: a.id, taskId: task.id, operatorId: op.id, attempt, status: 'leased', leasedAt: turn.now, leaseExpiresAt: a.leaseExpiresAt,
      finishedAt: null, output: null, outputHash: null, errorCode: null, signature: null, durationMs: null, cpuMs: null, memoryMb: null, endReason: null,
    },
  });
  const refs = { taskId: task.id, operatorId: op.id };
  if (task.lastLost) {
    turn.event('task.reassigned', {
      taskId: task.id, assignmentId: a.id, operatorId: op.id, region: op.region, attempt,
      replaces: { assignmentId: task.lastLost.assignmentId, operatorId: task.lastLost.operatorId, reason: task.lastLost.reason as 'lease_deadline' },
    }, refs);
    task.lastLost = null;
  } else {
    turn.event('task.assigned', { taskId: task.id, assignmentId: a.id, operatorId: op.id, region: op.region, attempt }, refs);
  }

  let wireEu = null;
  if (!op.sentEus.has(task.eu.id)) {
    op.sentEus.add(task.eu.id);
    wireEu = { id: task.eu.id, manifest: task.eu.manifest, files: task.eu.files };
  }
  turn.assign(op, {
    assignmentId: a.id, taskId: task.id, euId: task.eu.id, attempt, inputHash: task.inputHash, seed: task.seed, clock: task.clock, leaseMs,
  }, task, wireEu);
}

// ---- results ---------------------------------------------------------------------

/** The statement an operator signs for a result. */
export function resultStatement(task: TaskState, a: AssignmentState, outputHash: string): ResultStatement {
  return { assignmentId: a.id, taskId: task.id, euId: task.eu.id, attempt: a.attempt, inputHash: task.inputHash, outputHash };
}

/** The hash a result's output (or error) must carry. Errors hash by code alone: messages differ between machines. */
export function outputHashOf(item: Pick<ResultItem, 'output' | 'error'>): string {
  return item.error ? hashJson({ error: item.error.code }) : hashJson(item.output ?? null);
}

export async function acceptResults(engine: Engine, turn: Turn, conn: OperatorConnection, operatorId: string, items: ResultItem[]): Promise<void> {
  const op = engine.operators.get(operatorId);
  if (!op) return;
  const touched = new Set<TaskState>();
  for (const item of items) {
    const refusal = await checkResult(engine, op, item);
    if (refusal) {
      if (refusal.code === 'ACCEPTED_BEFORE') {
        turn.ack(conn, item.assignmentId);
        continue;
      }
      turn.refuse(conn, item.assignmentId, refusal.code, refusal.message);
      turn.event('result.refused', { assignmentId: item.assignmentId, operatorId, code: refusal.code, message: refusal.message, taskId: refusal.taskId }, {
        taskId: refusal.taskId ?? null,
        operatorId,
      });
      continue;
    }
    const a = engine.assignments.get(item.assignmentId)!;
    const task = engine.tasks.get(a.taskId)!;
    const output = item.error ? null : JSON.stringify(item.output ?? null);
    a.status = 'submitted';
    a.finishedAt = turn.now;
    a.outputHash = item.outputHash;
    a.output = output;
    a.errorCode = item.error?.code ?? null;
    a.signature = item.signature;
    a.durationMs = item.metrics.durationMs;
    op.active.delete(a.id);
    turn.changes.push({
      op: 'assignment.update',
      id: a.id,
      set: {
        status: 'submitted', finishedAt: turn.now, output, outputHash: item.outputHash, errorCode: a.errorCode, signature: item.signature,
        durationMs: item.metrics.durationMs, cpuMs: item.metrics.cpuMs ?? null, memoryMb: item.metrics.memoryMb ?? null,
      },
    });
    const data: { taskId: string; assignmentId: string; operatorId: string; outputHash: string; durationMs: number; error?: string } = {
      taskId: task.id, assignmentId: a.id, operatorId, outputHash: item.outputHash, durationMs: item.metrics.durationMs,
    };
    if (item.error) data.error = item.error.code;
    turn.event('result.received', data, { taskId: task.id, operatorId });
    turn.ack(conn, a.id);
    touched.add(task);
  }
  for (const task of touched) await evaluate(engine, turn, task);
}

interface Refusal {
  code: 'ASSIGNMENT_NOT_HELD' | 'LEASE_EXPIRED' | 'DUPLICATE_RESULT' | 'BAD_SIGNATURE' | 'VALIDATION_FAILED' | 'ACCEPTED_BEFORE';
  message: string;
  taskId?: string;
}

async function checkResult(engine: Engine, op: OperatorState, item: ResultItem): Promise<Refusal | null> {
  const a = engine.assignments.get(item.assignmentId);
  if (!a) {
    // Not open in memory: settled, ended, or never this operator's. Ask the store (rare path).
    const row = await engine.store.getAssignment(item.assignmentId);
    if (!row || row.operatorId !== op.id) {
      return { code: 'ASSIGNMENT_NOT_HELD', message: `operator ${op.id} holds no assignment ${item.assignmentId}` };
    }
    if (row.outputHash !== null && row.outputHash === item.outputHash && row.attempt === item.attempt) {
      return { code: 'ACCEPTED_BEFORE', message: 'result already recorded' };
    }
    return { code: 'LEASE_EXPIRED', message: `the lease of ${item.assignmentId} ended (${row.status}${row.endReason ? `: ${row.endReason}` : ''}); its result does not count`, taskId: row.taskId };
  }
  if (a.operatorId !== op.id) {
    return { code: 'ASSIGNMENT_NOT_HELD', message: `assignment ${item.assignmentId} belongs to another operator` };
  }
  if (item.attempt !== a.attempt) {
    return { code: 'LEASE_EXPIRED', message: `stale fencing token ${item.attempt} for ${a.id} (current ${a.attempt})`, taskId: a.taskId };
  }
  if (a.status === 'submitted') {
    return a.outputHash === item.outputHash
      ? { code: 'ACCEPTED_BEFORE', message: 'result already recorded' }
      : { code: 'DUPLICATE_RESULT', message: `a different result for ${a.id} was already recorded`, taskId: a.taskId };
  }
  if (a.status !== 'leased') {
    return { code: 'LEASE_EXPIRED', message: `the lease of ${a.id} ended (${a.status}); its result does not count`, taskId: a.taskId };
  }
  if (item.error === undefined && item.output === undefined) {
    return { code: 'VALIDATION_FAILED', message: 'a result needs an output or an error', taskId: a.taskId };
  }
  const task = engine.tasks.get(a.taskId)!;
  if (outputHashOf(item) !== item.outputHash) {
    return { code: 'VALIDATION_FAILED', message: 'outputHash is not the sha256 of the canonical output', taskId: a.taskId };
  }
  if (!verifySignature(op.publicKey, 'result', resultStatement(task, a, item.outputHash), item.signature)) {
    return { code: 'BAD_SIGNATURE', message: `the signature of ${a.id} does not verify under operator ${op.id}'s key`, taskId: a.taskId };
  }
  return null;
}

// ---- verdicts ----------------------------------------------------------------------

function resultViews(task: TaskState): ResultView[] {
  const out: ResultView[] = [];
  for (const a of task.assignments) {
    if (a.status === 'submitted') out.push({ assignmentId: a.id, operatorId: a.operatorId, outputHash: a.outputHash! });
  }
  return out;
}

/** Decides what a task's results mean, and acts on it. */
export async function evaluate(engine: Engine, turn: Turn, task: TaskState): Promise<void> {
  const results = resultViews(task);
  const groups = groupByHash(results);
  const live = liveAssignments(task);
  const decision = decide(groups, { quorum: task.quorum, maxReplicas: task.maxReplicas, replicas: task.replicas, live });
  const progress = () => {
    if (task.quorum > 1 || task.replicas > 1) {
      turn.event('verification.progress', {
        taskId: task.id, results: results.length, replicas: task.replicas, quorum: task.quorum,
        leading: groups[0]?.length ?? 0, distinct: groups.length,
      }, { taskId: task.id });
    }
  };
  switch (decision.kind) {
    case 'wait':
      if (task.status !== 'verifying' && task.status !== 'escalated') task.status = 'verifying';
      turn.dirtyTasks.add(task);
      progress();
      return;
    case 'escalate':
      task.replicas = decision.replicas;
      task.status = 'escalated';
      turn.dirtyTasks.add(task);
      progress();
      turn.event('task.escalated', { taskId: task.id, replicas: task.replicas, reason: `${groups.length} distinct outputs, none with ${task.quorum} votes` }, { taskId: task.id });
      engine.scheduler.enqueue(task, true);
      return;
    case 'verified': {
      progress();
      const winner = decision.winners[0]!;
      const winning = task.assignments.find((a) => a.id === winner.assignmentId)!;
      for (const r of decision.winners) endResult(engine, turn, r.assignmentId, 'accepted');
      for (const r of decision.dissenters) endResult(engine, turn, r.assignmentId, 'rejected');
      cancelLive(engine, turn, task, 'verified');
      const agreeing = decision.winners.map((r) => r.operatorId);
      const dissenting = decision.dissenters.map((r) => r.operatorId);
      if (winning.errorCode) {
        const message = `the EU fails on this input with ${winning.errorCode} (agreed by ${agreeing.length} operators)`;
        finish(engine, turn, task, 'failed', { outputHash: winner.outputHash, resultAssignmentId: winning.id, failure: 'eu_error', failureMessage: message });
        turn.event('task.failed', { taskId: task.id, reason: 'eu_error', message, outputHash: winner.outputHash, agreeing, dissenting }, { taskId: task.id });
      } else {
        finish(engine, turn, task, 'verified', { outputHash: winner.outputHash, resultAssignmentId: winning.id });
        turn.event('task.verified', { taskId: task.id, outputHash: winner.outputHash, agreeing, dissenting, solo: task.replicas === 1 }, { taskId: task.id });
      }
      return;
    }
    case 'unverifiable': {
      progress();
      for (const r of decision.dissenters) endResult(engine, turn, r.assignmentId, 'rejected');
      cancelLive(engine, turn, task, 'unverifiable');
      const message = `${results.length} results in ${groups.length} groups; none reached quorum ${task.quorum} within ${task.maxReplicas} replicas`;
      finish(engine, turn, task, 'failed', { failure: 'unverifiable', failureMessage: message });
      turn.event('task.failed', { taskId: task.id, reason: 'unverifiable', message }, { taskId: task.id });
      return;
    }
  }
}

function endResult(engine: Engine, turn: Turn, assignmentId: string, status: 'accepted' | 'rejected'): void {
  const a = engine.assignments.get(assignmentId)!;
  a.status = status;
  turn.changes.push({ op: 'assignment.update', id: a.id, set: { status } });
}

/** Cancels the task's outstanding leases: the verdict no longer needs them. */
function cancelLive(engine: Engine, turn: Turn, task: TaskState, reason: string): void {
  for (const a of task.assignments) {
    if (a.status !== 'leased') continue;
    a.status = 'cancelled';
    a.finishedAt = turn.now;
    const op = engine.operators.get(a.operatorId);
    op?.active.delete(a.id);
    if (op?.conn) turn.cancel(op.conn, a.id, reason);
    turn.changes.push({ op: 'assignment.update', id: a.id, set: { status: 'cancelled', finishedAt: turn.now, endReason: reason } });
    turn.event('assignment.cancelled', { taskId: task.id, assignmentId: a.id, operatorId: a.operatorId, reason }, { taskId: task.id, operatorId: a.operatorId });
  }
}

/** Moves a task to its terminal state and out of memory. */
export function finish(
  engine: Engine,
  turn: Turn,
  task: TaskState,
  status: 'verified' | 'failed',
  fields: { outputHash?: string; resultAssignmentId?: string; failure?: string; failureMessage?: string },
): void {
  task.status = status;
  turn.dirtyTasks.delete(task);
  turn.changes.push({
    op: 'task.update',
    id: task.id,
    set: {
      status, replicas: task.replicas, attempts: task.attempts, updatedAt: turn.now, finishedAt: turn.now,
      outputHash: fields.outputHash ?? null, resultAssignmentId: fields.resultAssignmentId ?? null,
      failure: fields.failure ?? null, failureMessage: fields.failureMessage ?? null,
    },
  });
  engine.tasks.delete(task.id);
  for (const a of task.assignments) engine.assignments.delete(a.id);
  if (task.input !== null) engine.inputCacheBytes -= task.input.length;
  task.input = null;
}

// ---- lost leases -----------------------------------------------------------------------

/**
 * Ends a lease without a result (expired, or released by its operator) and
 * puts the task back at the front of its queue.
 */
export function loseLease(engine: Engine, turn: Turn, a: AssignmentState, status: 'expired' | 'released', reason: string): void {
  const task = engine.tasks.get(a.taskId);
  if (!task || a.status !== 'leased') return;
  a.status = status;
  a.finishedAt = turn.now;
  const op = engine.operators.get(a.operatorId);
  op?.active.delete(a.id);
  turn.changes.push({ op: 'assignment.update', id: a.id, set: { status, finishedAt: turn.now, endReason: reason } });
  const refs = { taskId: task.id, operatorId: a.operatorId };
  if (status === 'expired') {
    turn.event('assignment.expired', { taskId: task.id, assignmentId: a.id, operatorId: a.operatorId, reason: reason as 'lease_deadline' }, refs);
    // Still connected (an overdue lease): tell the operator to stop.
    if (op?.conn) turn.cancel(op.conn, a.id, reason);
  } else {
    turn.event('assignment.released', { taskId: task.id, assignmentId: a.id, operatorId: a.operatorId, reason }, refs);
  }
  task.lastLost = { assignmentId: a.id, operatorId: a.operatorId, reason: status === 'released' ? 'released' : reason };
  if (task.attempts >= engine.config.maxAttemptsPerTask) {
    for (const other of task.assignments) if (other.status === 'submitted') endResult(engine, turn, other.id, 'rejected');
    cancelLive(engine, turn, task, 'attempts_exhausted');
    const message = `${task.attempts} assignments made and none settled the task`;
    finish(engine, turn, task, 'failed', { failure: 'attempts_exhausted', failureMessage: message });
    turn.event('task.failed', { taskId: task.id, reason: 'attempts_exhausted', message }, { taskId: task.id });
    return;
  }
  if (task.status === 'running' && liveAssignments(task) === 0) task.status = 'pending';
  turn.dirtyTasks.add(task);
  if (replicasToAssign(task) > 0) engine.scheduler.enqueue(task, true);
}

/** Writes each changed open task's row once per turn. */
export function writeDirtyTasks(engine: Engine, turn: Turn): void {
  for (const task of turn.dirtyTasks) {
    if (!engine.tasks.has(task.id)) continue;
    turn.changes.push({ op: 'task.update', id: task.id, set: { status: task.status, replicas: task.replicas, attempts: task.attempts, updatedAt: turn.now } });
  }
  turn.dirtyTasks.clear();
}
