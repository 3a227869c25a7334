/**
 * Receipts: the proof of a verdict, checkable offline by anyone.
 *
 * A receipt names the task, its EU and input hash, the accepted output hash,
 * and each agreeing operator with its public key and its own signature over
 * the result statement it returned: the operator signed the Merkle root of
 * the frame that carried the result (domain `result`), and the receipt holds
 * the result's path to that root (see result-batch.ts). The coordinator signs
 * the whole (domain `receipt`). `verifyReceipt` needs nothing but the
 * receipt: it re-derives each operator id from its key, checks each
 * operator's signature over the statement rebuilt from the receipt's fields,
 * checks that the agreeing results make a verdict under the policy, and
 * checks the coordinator's signature. Pin the coordinator's public key
 * (`coordinatorKey`) to know the receipt came from the coordinator you trust
 * and not from one made up with it.
 */
import { z } from 'zod';
import { verifyResult } from './result-batch.js';
import { identityId, sign, verify, type KeyPair } from './signing.js';
import { resultStatement } from './result-rules.js';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Hex128 = z.string().regex(/^[0-9a-f]{128}$/);

export const RECEIPT_VERSION = 1;

export const ReceiptSigner = z.strictObject({
  operatorId: z.string(),
  publicKey: Hex64,
  assignmentId: z.string(),
  /** The lease's fencing token the operator signed. */
  attempt: z.int().min(1),
  /** The output hash this operator returned (under the semantic policy, its own wording's hash). */
  outputHash: Hex64,
  /** The operator's signature of the Merkle root over its frame's results (domain `result`). */
  signature: Hex128,
  /** The path from this result's statement to that root. */
  proof: z.array(z.string().regex(/^[LR][0-9a-f]{64}$/)).max(32),
});
export type ReceiptSigner = z.infer<typeof ReceiptSigner>;

export const Receipt = z.strictObject({
  version: z.literal(RECEIPT_VERSION),
  /** `rc_<task id>`. */
  id: z.string(),
  taskId: z.string(),
  euId: z.string(),
  inputHash: Hex64,
  /** The accepted output's hash (for an EU that fails on the input, the hash of its agreed error). */
  outputHash: Hex64,
  /** verified, or eu_error when a quorum agreed that the EU fails on this input. */
  outcome: z.enum(['verified', 'eu_error']),
  verification: z.strictObject({
    policy: z.enum(['exact', 'semantic', 'none']),
    /** Agreeing results needed. */
    quorum: z.int().min(1),
    /** True when adaptive replication let one trusted operator run the task alone. */
    solo: z.boolean(),
    /** Semantic policy: the cosine similarity at or above which outputs agree, and the embedder that measured it. */
    threshold: z.number().optional(),
    embedder: z.string().optional(),
  }),
  agreeing: z.array(ReceiptSigner).min(1),
  /** Ledger entries that moved value for this task (escrow, rewards, refund, slashes). */
  ledgerEntries: z.array(z.string()),
  /** When the verdict was reached (coordinator clock, ms). */
  decidedAt: z.int(),
  coordinator: z.strictObject({ id: z.string(), publicKey: Hex64 }),
  /** The coordinator's signature (domain `receipt`) of every other field. */
  signature: Hex128,
});
export type Receipt = z.infer<typeof Receipt>;

export type UnsignedReceipt = Omit<Receipt, 'signature'>;

export function receiptIdOf(taskId: string): string {
  return `rc_${taskId}`;
}

/** Signs a receipt body with the coordinator's key. */
export function signReceipt(body: UnsignedReceipt, keys: KeyPair): Receipt {
  return { ...body, signature: sign(keys, 'receipt', body) };
}

export interface ReceiptCheck {
  ok: boolean;
  problems: string[];
}

/** Checks a receipt offline. Never throws: a malformed receipt is reported as a problem. */
export function verifyReceipt(raw: unknown, options: { coordinatorKey?: string } = {}): ReceiptCheck {
  const parsed = Receipt.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problems: [`not a receipt: ${issue?.path.join('.') || 'document'}: ${issue?.message}`] };
  }
  const r = parsed.data;
  const problems: string[] = [];
  if (r.id !== receiptIdOf(r.taskId)) problems.push(`receipt id ${r.id} does not name task ${r.taskId}`);
  if (identityId('co', r.coordinator.publicKey) !== r.coordinator.id)
    problems.push(`coordinator id ${r.coordinator.id} does not belong to its public key`);
  if (options.coordinatorKey && options.coordinatorKey !== r.coordinator.publicKey) {
    problems.push(
      `signed by coordinator key ${r.coordinator.publicKey.slice(0, 16)}…, not the pinned ${options.coordinatorKey.slice(0, 16)}…`,
    );
  }
  const { signature, ...body } = r;
  if (!verify(r.coordinator.publicKey, 'receipt', body, signature)) {
    problems.push(
      'the coordinator signature does not match the receipt: it was altered after signing, or not signed by this coordinator',
    );
  }
  const operators = new Set<string>();
  for (const s of r.agreeing) {
    if (identityId('op', s.publicKey) !== s.operatorId)
      problems.push(`operator id ${s.operatorId} does not belong to its public key`);
    if (operators.has(s.operatorId)) problems.push(`operator ${s.operatorId} is counted twice`);
    operators.add(s.operatorId);
    const statement = resultStatement(
      { assignmentId: s.assignmentId, taskId: r.taskId, euId: r.euId, attempt: s.attempt, inputHash: r.inputHash },
      s.outputHash,
    );
    if (!verifyResult(s.publicKey, statement, s.proof, s.signature)) {
      problems.push(
        `operator ${s.operatorId}'s signature does not cover this task, input and output (assignment ${s.assignmentId})`,
      );
    }
    if (r.verification.policy !== 'semantic' && s.outputHash !== r.outputHash) {
      problems.push(
        `operator ${s.operatorId} returned ${s.outputHash.slice(0, 12)}…, not the accepted ${r.outputHash.slice(0, 12)}…, under the ${r.verification.policy} policy`,
      );
    }
  }
  if (!r.agreeing.some((s) => s.outputHash === r.outputHash))
    problems.push('no agreeing operator returned the accepted output');
  const needed = r.verification.solo ? 1 : r.verification.quorum;
  if (r.agreeing.length < needed) problems.push(`${r.agreeing.length} agreeing operators; the verdict needs ${needed}`);
  return { ok: problems.length === 0, problems };
}
