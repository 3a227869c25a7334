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
 *   (first of all) the output nests     else JSON_TOO_DEEP, PAYLOAD_TOO_LARGE
 *   at most MAX_VALUE_DEPTH levels and
 *   is at most MAX_OUTPUT_BYTES
 *
 * A result already recorded (the operator re-sent it after a reconnect) is
 * acknowledged again and changes nothing.
 *
 * Each result is judged alone: the checks only read, so a refused result
 * (or one whose check throws) writes nothing and the rest of its frame is
 * handled as if it had not been there. Refusals are counted per operator
 * and reason (refusal-tally.ts), never logged one event each.
 */
import {
  batchStatement,
  coerceError,
  leafHash,
  MAX_OUTPUT_BYTES,
  MAX_VALUE_DEPTH,
  outputHashOf,
  resultStatement,
  rootFromProof,
  valueTooDeep,
  verify as verifySignature,
  type LeasedWork,
  type ResultItem,
} from '../../protocol/index.js';
import type { IntakeContext } from './verdict-context.js';
import {
  freeSlot,
  type AssignmentState,
  type OperatorConnection,
  type OperatorState,
  type TaskState,
} from '../memory/index.js';
import type { Turn } from '../memory/index.js';
import { evaluate } from './verdicts.js';

/** What this assignment's operator signed for, as the coordinator leased it (not as the operator says). */
function leasedWork(task: TaskState, a: AssignmentState): LeasedWork {
  return { assignmentId: a.id, taskId: task.id, euId: task.eu.id, attempt: a.attempt, inputHash: task.inputHash };
}

/** A result the gateway could not even read as one (wrong shape): refused by the engine with the rest of its frame. */
export interface UnreadableResult {
  assignmentId: string;
  code: string;
  message: string;
}

export async function acceptResults(
  ctx: IntakeContext,
  turn: Turn,
  conn: OperatorConnection,
  operatorId: string,
  items: ResultItem[],
  unreadable: UnreadableResult[] = [],
): Promise<void> {
  const op = ctx.operators.get(operatorId);
  // A frame that was in flight when its connection was replaced or cut off for flooding counts for nothing.
  if (!op || op.conn !== conn) return;
  for (const u of unreadable)
    ctx.refuseResult(turn, conn, op, { assignmentId: u.assignmentId, code: u.code, message: u.message });
  const touched = new Set<TaskState>();
  // A frame's results share one signed Merkle root: check each root's signature once.
  const roots = new Map<string, boolean>();
  for (const item of items) {
    let checked: Refusal | Accepted;
    try {
      checked = await checkResult(ctx, op, item, roots);
    } catch (thrown) {
      // The checks only read: whatever threw, this result is refused alone and nothing was written.
      const error = coerceError(thrown);
      ctx.log.error({ err: thrown, assignmentId: item.assignmentId }, 'checking a result failed');
      checked = { code: error.code, message: error.message };
    }
    if ('code' in checked) {
      if (checked.code === 'ACCEPTED_BEFORE') turn.ack(conn, item.assignmentId);
      else {
        const sample: { assignmentId: string; code: string; message: string; taskId?: string } = {
          assignmentId: item.assignmentId,
          code: checked.code,
          message: checked.message,
        };
        if (checked.taskId) sample.taskId = checked.taskId;
        ctx.refuseResult(turn, conn, op, sample);
      }
      // Cut off for flooding: the rest of the frame counts for nothing.
      if (op.conn !== conn) break;
      continue;
    }
    const a = ctx.memory.assignments.get(item.assignmentId)!;
    const task = ctx.memory.tasks.get(a.taskId)!;
    const output = checked.outputText;
    const errorCode = item.error?.code ?? null;
    // Before memory changes: the lease as it stands is the update's fence.
    turn.updateAssignment(a, {
      status: 'submitted',
      finishedAt: turn.now,
      output,
      outputHash: item.outputHash,
      errorCode,
      signature: item.signature,
      signatureProof: item.proof.length > 0 ? JSON.stringify(item.proof) : null,
      durationMs: item.metrics.durationMs,
      cpuMs: item.metrics.cpuMs ?? null,
      memoryMb: item.metrics.memoryMb ?? null,
    });
    a.status = 'submitted';
    a.finishedAt = turn.now;
    a.outputHash = item.outputHash;
    a.output = output;
    a.errorCode = errorCode;
    a.signature = item.signature;
    a.proof = item.proof;
    a.durationMs = item.metrics.durationMs;
    freeSlot(op, a.id, turn.now);
    ctx.trust.result(turn, task, a, item.metrics);
    const data: {
      taskId: string;
      assignmentId: string;
      operatorId: string;
      outputHash: string;
      durationMs: number;
      error?: string;
    } = {
      taskId: task.id,
      assignmentId: a.id,
      operatorId,
      outputHash: item.outputHash,
      durationMs: item.metrics.durationMs,
    };
    if (item.error) data.error = item.error.code;
    turn.event('result.received', data, { taskId: task.id, operatorId });
    turn.ack(conn, a.id);
    touched.add(task);
  }
  for (const task of touched) await evaluate(ctx, turn, task);
}

interface Refusal {
  code: string;
  message: string;
  taskId?: string;
}

interface Accepted {
  /** The output as the JSON text to store (null for an error result). */
  outputText: string | null;
}

async function checkResult(
  ctx: IntakeContext,
  op: OperatorState,
  item: ResultItem,
  roots: Map<string, boolean>,
): Promise<Refusal | Accepted> {
  // Before anything recurses into the output (hashing, stringifying).
  if (valueTooDeep(item.output, MAX_VALUE_DEPTH)) {
    return {
      code: 'JSON_TOO_DEEP',
      message: `the output of ${item.assignmentId} nests deeper than ${MAX_VALUE_DEPTH} levels`,
    };
  }
  const outputText = item.error ? null : JSON.stringify(item.output ?? null);
  if (
    outputText !== null &&
    outputText.length > MAX_OUTPUT_BYTES / 3 &&
    Buffer.byteLength(outputText, 'utf8') > MAX_OUTPUT_BYTES
  ) {
    return {
      code: 'PAYLOAD_TOO_LARGE',
      message: `the output of ${item.assignmentId} is over ${MAX_OUTPUT_BYTES} bytes of JSON`,
    };
  }
  const a = ctx.memory.assignments.get(item.assignmentId);
  if (!a) {
    // Not open in memory: settled, ended, or never this operator's. Ask the store (rare path).
    const row = await ctx.store.getAssignment(item.assignmentId);
    if (!row || row.operatorId !== op.id) {
      return { code: 'ASSIGNMENT_NOT_HELD', message: `operator ${op.id} holds no assignment ${item.assignmentId}` };
    }
    if (row.outputHash !== null && row.outputHash === item.outputHash && row.attempt === item.attempt) {
      return { code: 'ACCEPTED_BEFORE', message: 'result already recorded' };
    }
    return {
      code: 'LEASE_EXPIRED',
      message: `the lease of ${item.assignmentId} ended (${row.status}${row.endReason ? `: ${row.endReason}` : ''}); its result does not count`,
      taskId: row.taskId,
    };
  }
  if (a.operatorId !== op.id) {
    return { code: 'ASSIGNMENT_NOT_HELD', message: `assignment ${item.assignmentId} belongs to another operator` };
  }
  if (item.attempt !== a.attempt) {
    return {
      code: 'LEASE_EXPIRED',
      message: `stale fencing token ${item.attempt} for ${a.id} (current ${a.attempt})`,
      taskId: a.taskId,
    };
  }
  if (a.status === 'submitted') {
    return a.outputHash === item.outputHash
      ? { code: 'ACCEPTED_BEFORE', message: 'result already recorded' }
      : { code: 'DUPLICATE_RESULT', message: `a different result for ${a.id} was already recorded`, taskId: a.taskId };
  }
  if (a.status !== 'leased') {
    return {
      code: 'LEASE_EXPIRED',
      message: `the lease of ${a.id} ended (${a.status}); its result does not count`,
      taskId: a.taskId,
    };
  }
  if (item.error === undefined && item.output === undefined) {
    return { code: 'VALIDATION_FAILED', message: 'a result needs an output or an error', taskId: a.taskId };
  }
  const task = ctx.memory.tasks.get(a.taskId)!;
  if (outputHashOf(item) !== item.outputHash) {
    return {
      code: 'VALIDATION_FAILED',
      message: 'outputHash is not the sha256 of the canonical output',
      taskId: a.taskId,
    };
  }
  // The statement is rebuilt from what the coordinator leased, never taken from the operator.
  const root = rootFromProof(leafHash(resultStatement(leasedWork(task, a), item.outputHash)), item.proof);
  const key = `${root.toString('hex')}:${item.signature}`;
  let valid = roots.get(key);
  if (valid === undefined) {
    valid = verifySignature(op.publicKey, 'result', batchStatement(root), item.signature);
    roots.set(key, valid);
  }
  if (!valid) {
    return {
      code: 'BAD_SIGNATURE',
      message: `the signature of ${a.id} does not verify under operator ${op.id}'s key`,
      taskId: a.taskId,
    };
  }
  return { outputText };
}
