/**
 * Verdicts: what a task's results mean (verifier.ts decides), and acting on
 * it: accept the winners, reject the dissenters, cancel leases no longer
 * needed, ask for more replicas, or end the task.
 */
import type { VerdictContext } from './verdict-context.js';
import { EU_RESOURCE_EXCEEDED, isEuResourceFault, isResourceFault, resourceFaultOperators } from './eu-fault.js';
import { freeSlot, liveAssignments, type TaskState } from '../memory/index.js';
import type { Turn } from '../memory/index.js';
import { decide, groupByHash, type ResultView } from './verifier.js';

function resultViews(task: TaskState): ResultView[] {
  const out: ResultView[] = [];
  for (const a of task.assignments) {
    if (a.status === 'submitted') out.push({ assignmentId: a.id, operatorId: a.operatorId, outputHash: a.outputHash! });
  }
  return out;
}

/** Decides what a task's results mean, and acts on it. */
export async function evaluate(ctx: VerdictContext, turn: Turn, task: TaskState): Promise<void> {
  const results = resultViews(task);
  // Semantic policy: the coordinator embeds the outputs and clusters them (semantic-verifier.ts).
  const { groups, undecided } =
    task.eu.manifest.verification.policy === 'semantic'
      ? await ctx.trust.group(task, results)
      : { groups: groupByHash(results), undecided: new Set<string>() };
  const live = liveAssignments(task);
  const decision = decide(groups, {
    quorum: task.quorum,
    maxReplicas: task.maxReplicas,
    replicas: task.replicas,
    live,
  });
  // An output that reached quorum settles the task; short of one, the EU's own resource faults do (eu-fault.ts).
  const winner =
    decision.kind === 'verified' ? task.assignments.find((a) => a.id === decision.winners[0]!.assignmentId) : undefined;
  const settledByOutput = winner !== undefined && !winner.errorCode;
  if (!settledByOutput && isEuResourceFault(task)) {
    failForResources(ctx, turn, task);
    return;
  }
  const progress = () => {
    if (task.quorum > 1 || task.replicas > 1) {
      turn.event(
        'verification.progress',
        {
          taskId: task.id,
          results: results.length,
          replicas: task.replicas,
          quorum: task.quorum,
          leading: groups[0]?.length ?? 0,
          distinct: groups.length,
        },
        { taskId: task.id },
      );
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
      turn.event(
        'task.escalated',
        {
          taskId: task.id,
          replicas: task.replicas,
          reason: `${groups.length} distinct outputs, none with ${task.quorum} votes`,
        },
        { taskId: task.id },
      );
      task.readyAt = turn.now;
      ctx.scheduler.enqueue(task, true);
      return;
    case 'verified': {
      progress();
      const winner = decision.winners[0]!;
      const winning = task.assignments.find((a) => a.id === winner.assignmentId)!;
      for (const r of decision.winners) endResult(ctx, turn, r.assignmentId, 'accepted');
      for (const r of decision.dissenters)
        endResult(ctx, turn, r.assignmentId, 'rejected', undecided.has(r.assignmentId));
      cancelLive(ctx, turn, task, 'verified');
      const agreeing = decision.winners.map((r) => r.operatorId);
      // Undecided results (semantic grey zone) are not dissent: they are listed apart and nobody pays for them.
      const dissenting = decision.dissenters.filter((r) => !undecided.has(r.assignmentId)).map((r) => r.operatorId);
      const unclear = decision.dissenters.filter((r) => undecided.has(r.assignmentId)).map((r) => r.operatorId);
      if (winning.errorCode) {
        const message = `the EU fails on this input with ${winning.errorCode} (agreed by ${agreeing.length} operators)`;
        finish(ctx, turn, task, 'failed', {
          outputHash: winner.outputHash,
          resultAssignmentId: winning.id,
          failure: 'eu_error',
          failureMessage: message,
        });
        turn.event(
          'task.failed',
          { taskId: task.id, reason: 'eu_error', message, outputHash: winner.outputHash, agreeing, dissenting },
          { taskId: task.id },
        );
      } else {
        finish(ctx, turn, task, 'verified', { outputHash: winner.outputHash, resultAssignmentId: winning.id });
        turn.event(
          'task.verified',
          {
            taskId: task.id,
            outputHash: winner.outputHash,
            agreeing,
            dissenting,
            solo: task.replicas === 1,
            ...(unclear.length > 0 ? { undecided: unclear } : {}),
          },
          { taskId: task.id },
        );
      }
      return;
    }
    case 'unverifiable': {
      progress();
      for (const r of decision.dissenters) endResult(ctx, turn, r.assignmentId, 'rejected');
      cancelLive(ctx, turn, task, 'unverifiable');
      const message = `${results.length} results in ${groups.length} groups; none reached quorum ${task.quorum} within ${task.maxReplicas} replicas`;
      finish(ctx, turn, task, 'failed', { failure: 'unverifiable', failureMessage: message });
      turn.event('task.failed', { taskId: task.id, reason: 'unverifiable', message }, { taskId: task.id });
      return;
    }
  }
}

/**
 * Fails a task whose EU ran out of time or memory on enough operators: their
 * results are accepted (they did the work right), other results rejected
 * (never slashed: there was no verdict), live leases cancelled.
 */
export function failForResources(ctx: VerdictContext, turn: Turn, task: TaskState): void {
  for (const a of task.assignments) {
    if (a.status === 'submitted') endResult(ctx, turn, a.id, isResourceFault(a) ? 'accepted' : 'rejected');
  }
  cancelLive(ctx, turn, task, EU_RESOURCE_EXCEEDED);
  const operators = [...resourceFaultOperators(task)];
  const message = `the EU ran out of its time or memory on ${operators.length} operators; it cannot run within its limits`;
  finish(ctx, turn, task, 'failed', { failure: EU_RESOURCE_EXCEEDED, failureMessage: message });
  const data = { taskId: task.id, reason: EU_RESOURCE_EXCEEDED, message, agreeing: operators } as const;
  turn.event('task.failed', data, { taskId: task.id });
}

export function endResult(
  ctx: VerdictContext,
  turn: Turn,
  assignmentId: string,
  status: 'accepted' | 'rejected',
  undecided = false,
): void {
  const a = ctx.memory.assignments.get(assignmentId)!;
  turn.updateAssignment(a, undecided ? { status, endReason: 'undecided' } : { status });
  a.status = status;
  if (undecided) a.undecided = true;
}

/** Cancels the task's outstanding leases: the verdict no longer needs them. */
export function cancelLive(ctx: VerdictContext, turn: Turn, task: TaskState, reason: string): void {
  for (const a of task.assignments) {
    if (a.status !== 'leased') continue;
    turn.updateAssignment(a, { status: 'cancelled', finishedAt: turn.now, endReason: reason });
    a.status = 'cancelled';
    a.finishedAt = turn.now;
    const op = ctx.operators.get(a.operatorId);
    if (op) freeSlot(op, a.id, turn.now);
    if (op?.conn) turn.cancel(op.conn, a.id, reason);
    turn.event(
      'assignment.cancelled',
      { taskId: task.id, assignmentId: a.id, operatorId: a.operatorId, reason },
      { taskId: task.id, operatorId: a.operatorId },
    );
  }
}

/** Moves a task to its terminal state and out of memory. */
export function finish(
  ctx: VerdictContext,
  turn: Turn,
  task: TaskState,
  status: 'verified' | 'failed',
  fields: { outputHash?: string; resultAssignmentId?: string; failure?: string; failureMessage?: string },
): void {
  task.status = status;
  ctx.trust.finish(turn, task, status, fields.failure ?? null);
  turn.dirtyTasks.delete(task);
  turn.changes.push({
    op: 'task.update',
    id: task.id,
    set: {
      status,
      replicas: task.replicas,
      attempts: task.attempts,
      updatedAt: turn.now,
      finishedAt: turn.now,
      outputHash: fields.outputHash ?? null,
      resultAssignmentId: fields.resultAssignmentId ?? null,
      failure: fields.failure ?? null,
      failureMessage: fields.failureMessage ?? null,
    },
  });
  ctx.memory.forget(task);
  turn.finishedOwners.set(task.id, task.owner);
}
