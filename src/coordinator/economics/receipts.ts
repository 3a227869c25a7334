/**
 * Receipts, assembled from what the store already holds when one is asked
 * for: the task's row, its accepted assignments with the operators'
 * signatures (kept since the results arrived), the operators' keys, and the
 * ledger entries that name the task. The coordinator signs the receipt as it
 * serves it. A receipt is deterministic (the same task gives the same
 * receipt every time), so signing on demand proves the same thing as
 * signing at the verdict, without an Ed25519 signature and a row on the hot
 * path of every task.
 */
import {
  CortenError,
  receiptIdOf,
  RECEIPT_VERSION,
  signReceipt,
  type KeyPair,
  type Receipt,
  type ReceiptSigner,
  type UnsignedReceipt,
} from '../../protocol/index.js';
import type { Store } from '../../store/index.js';
import type { EuRegistry } from '../memory/index.js';

export interface ReceiptIssuer {
  store: Store;
  eus: EuRegistry;
  coordinatorId: string;
  keys: KeyPair;
  /** Name of the semantic verifier's embedder, recorded for the semantic policy. */
  embedderName: () => Promise<string>;
}

export async function buildReceipt(issuer: ReceiptIssuer, taskId: string): Promise<Receipt> {
  const { store } = issuer;
  const task = await store.getTask(taskId);
  if (!task) throw new CortenError('TASK_NOT_FOUND', `no task ${taskId}`);
  const outcome = task.status === 'verified' ? 'verified' : task.failure === 'eu_error' ? 'eu_error' : null;
  if (outcome === null || task.outputHash === null) {
    const why =
      task.status === 'failed'
        ? `it failed as ${task.failure} without a verdict; any refund is in the ledger`
        : `it is ${task.status}: no verdict yet`;
    throw new CortenError('RECEIPT_NOT_FOUND', `task ${taskId} has no receipt: ${why}`);
  }
  const eu = issuer.eus.get(task.euId);
  const policy = eu?.manifest.verification.policy ?? 'exact';
  const agreeing: ReceiptSigner[] = [];
  for (const a of await store.listAssignments(taskId)) {
    if (a.status !== 'accepted' || a.signature === null || a.outputHash === null) continue;
    const op = await store.getOperator(a.operatorId);
    if (!op) continue;
    agreeing.push({
      operatorId: a.operatorId,
      publicKey: op.publicKey,
      assignmentId: a.id,
      attempt: a.attempt,
      outputHash: a.outputHash,
      signature: a.signature,
      proof: a.signatureProof ? (JSON.parse(a.signatureProof) as string[]) : [],
    });
  }
  const payer = await store.trust.getTaskAccount(taskId);
  const entries = [...(payer ? [payer.escrowEntry] : []), ...(await store.trust.ledgerRefsOfTask(taskId))];
  entries.sort((x, y) => Number(x.slice(3)) - Number(y.slice(3)));
  const verification: UnsignedReceipt['verification'] = {
    policy,
    quorum: task.quorum,
    solo: task.replicas === 1 && task.quorum > 1,
  };
  if (policy === 'semantic') {
    const threshold = eu?.manifest.verification.threshold;
    if (threshold !== undefined) verification.threshold = threshold;
    verification.embedder = await issuer.embedderName();
  }
  const body: UnsignedReceipt = {
    version: RECEIPT_VERSION,
    id: receiptIdOf(taskId),
    taskId,
    euId: task.euId,
    inputHash: task.inputHash,
    outputHash: task.outputHash,
    outcome,
    verification,
    agreeing,
    ledgerEntries: [...new Set(entries)],
    decidedAt: task.finishedAt ?? task.updatedAt,
    coordinator: { id: issuer.coordinatorId, publicKey: issuer.keys.publicKey.toString('hex') },
  };
  return signReceipt(body, issuer.keys);
}
