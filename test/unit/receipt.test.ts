/**
 * Receipts verify offline from their own content, and any change to one,
 * or a key that is not the pinned coordinator's, fails with a clear reason.
 */
import { describe, expect, it } from 'vitest';
import {
  buildBatch,
  generateKeyPair,
  hashJson,
  identityId,
  leafHash,
  receiptIdOf,
  signBatch,
  signReceipt,
  verifyReceipt,
  type KeyPair,
  type UnsignedReceipt,
} from '../../src/protocol/index.js';

const coordinator = generateKeyPair();
const operators = [generateKeyPair(), generateKeyPair()];
const hex = (k: KeyPair) => k.publicKey.toString('hex');

function receipt(overrides: Partial<UnsignedReceipt> = {}) {
  const inputHash = hashJson({ n: 1 });
  const outputHash = hashJson({ y: 2 });
  const agreeing = operators.map((k, i) => {
    const statement = { assignmentId: `a${i}`, taskId: 't_1', euId: 'eu_1', attempt: i + 1, inputHash, outputHash };
    // The first operator sent this result in a frame with two others; the second sent it alone.
    const others =
      i === 0 ? [1, 2].map((j) => ({ ...statement, assignmentId: `other${j}`, taskId: `t_${j + 1}` })) : [];
    const { root, proofs } = buildBatch([statement, ...others].map(leafHash));
    return {
      operatorId: identityId('op', hex(k)),
      publicKey: hex(k),
      assignmentId: `a${i}`,
      attempt: i + 1,
      outputHash,
      signature: signBatch(k, root),
      proof: proofs[0]!,
    };
  });
  const body: UnsignedReceipt = {
    version: 1,
    id: receiptIdOf('t_1'),
    taskId: 't_1',
    euId: 'eu_1',
    inputHash,
    outputHash,
    outcome: 'verified',
    verification: { policy: 'exact', quorum: 2, solo: false },
    agreeing,
    ledgerEntries: ['le_3', 'le_9'],
    decidedAt: 5,
    coordinator: { id: identityId('co', hex(coordinator)), publicKey: hex(coordinator) },
    ...overrides,
  };
  return signReceipt(body, coordinator);
}

describe('receipts', () => {
  it('verify offline, with and without a pinned coordinator key', () => {
    expect(verifyReceipt(receipt())).toEqual({ ok: true, problems: [] });
    expect(verifyReceipt(receipt(), { coordinatorKey: hex(coordinator) }).ok).toBe(true);
    expect(verifyReceipt(receipt(), { coordinatorKey: hex(generateKeyPair()) }).problems.join()).toMatch(/pinned/);
  });

  it('fail when anything was changed after signing', () => {
    const r = receipt();
    r.outputHash = hashJson({ y: 3 });
    const check = verifyReceipt(r);
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toMatch(/coordinator signature does not match/);
    expect(check.problems.join('\n')).toMatch(/not the accepted/);
  });

  it('fail when re-signed by another coordinator over forged operator signatures', () => {
    const forged = receipt();
    forged.agreeing[1]!.signature = forged.agreeing[0]!.signature;
    forged.agreeing[1]!.proof = forged.agreeing[0]!.proof;
    const { signature: _old, ...body } = forged;
    const check = verifyReceipt(signReceipt(body, coordinator));
    expect(check.problems.join()).toMatch(/signature does not cover this task/);
  });

  it('fail short of quorum unless the verdict was solo, and on a document that is not a receipt', () => {
    const one = receipt();
    const { signature: _s, ...body } = one;
    body.agreeing = body.agreeing.slice(0, 1);
    expect(verifyReceipt(signReceipt(body, coordinator)).problems.join()).toMatch(/needs 2/);
    body.verification = { ...body.verification, solo: true };
    expect(verifyReceipt(signReceipt(body, coordinator)).ok).toBe(true);
    expect(verifyReceipt({ hello: 1 }).problems[0]).toMatch(/not a receipt/);
  });
});
