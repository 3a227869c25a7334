/**
 * Results coming in: each is checked before it counts, and only then handed
 * to the verifier.
 *
 *   the lease is this operator's        else ASSIGNMENT_NOT_HELD
 *   and still open, with its token     else LEASE_EXPIRED (recorded, never counted)
 *   the output hashes to outputHash    else VALIDATION_FAILED
 *   the statement rebuilt from what    else BAD_SIGNATURE
 *   was leased is under the operator's
 *   signed Merkle root
 *
 * A result already recorded (the operator re-sent it after a reconnect) is
 * acknowledged again and changes nothing.
 */
import {
  batchStatement, hashJson, leafHash, rootFromProof, verify as verifySignature, type ResultItem, type ResultStatement,
} from '../protocol/index.js';
import type { Engine } from './engine.js';
import { freeSlot, type AssignmentState, type OperatorConnection, type OperatorState, type TaskState } from './state.js';
import type { Turn } from './turn.js';
import { evaluate } from './verdicts.js';

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
  // A frame's results share one signed Merkle root: check each root's signature once.
  const roots = new Map<string, boolean>();
  for (const item of items) {
    const refusal = await checkResult(engine, op, item, roots);
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
    a.proof = item.proof;
    a.durationMs = item.metrics.durationMs;
    freeSlot(op, a.id, turn.now);
    turn.updateAssignment(a.id, {
      status: 'submitted', finishedAt: turn.now, output, outputHash: item.outputHash, errorCode: a.errorCode, signature: item.signature,
      signatureProof: item.proof.length > 0 ? JSON.stringify(item.proof) : null,
      durationMs: item.metrics.durationMs, cpuMs: item.metrics.cpuMs ?? null, memoryMb: item.metrics.memoryMb ?? null,
    });
    engine.trust.result(turn, task, a, item.metrics);
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

async function checkResult(engine: Engine, op: OperatorState, item: ResultItem, roots: Map<string, boolean>): Promise<Refusal | null> {
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
  // The statement is rebuilt from what the coordinator leased, never taken from the operator.
  const root = rootFromProof(leafHash(resultStatement(task, a, item.outputHash)), item.proof);
  const key = `${root.toString('hex')}:${item.signature}`;
  let valid = roots.get(key);
  if (valid === undefined) {
    valid = verifySignature(op.publicKey, 'result', batchStatement(root), item.signature);
    roots.set(key, valid);
  }
  if (!valid) {
    return { code: 'BAD_SIGNATURE', message: `the signature of ${a.id} does not verify under operator ${op.id}'s key`, taskId: a.taskId };
  }
  return null;
}
