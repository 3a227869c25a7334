/**
 * Rules the operator and the coordinator must apply alike to a result. The
 * operator signs and hashes by them, the coordinator checks by them, and a
 * receipt is verified by them: written once here, they cannot drift apart.
 */
import { hashJson } from './canonical.js';
import type { ResultStatement } from './wire.js';

/** What a lease says about its work: every field of the signed statement but the output's hash. */
export type LeasedWork = Omit<ResultStatement, 'outputHash'>;

/** The statement an operator signs for a result (one leaf of its frame's Merkle tree, see result-batch.ts). */
export function resultStatement(work: LeasedWork, outputHash: string): ResultStatement {
  // Field by field: a wire assignment carries more than the statement covers, and a leaf hashes all it is given.
  const { assignmentId, taskId, euId, attempt, inputHash } = work;
  return { assignmentId, taskId, euId, attempt, inputHash, outputHash };
}

/**
 * The hash a result's output (or error) must carry. An error hashes by its
 * code alone: messages differ between machines, and replicas that failed
 * the same way must agree.
 */
export function outputHashOf(result: { output?: unknown; error?: { code: string } | undefined }): string {
  return result.error ? hashJson({ error: result.error.code }) : hashJson(result.output ?? null);
}
