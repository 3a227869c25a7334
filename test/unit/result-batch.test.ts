import { describe, expect, it } from 'vitest';
import {
  buildBatch,
  generateKeyPair,
  leafHash,
  rootFromProof,
  signBatch,
  verifyResult,
  type ResultStatement,
} from '../../src/protocol/index.js';

const statement = (i: number): ResultStatement => ({
  assignmentId: `a${i}`,
  taskId: `t${i}`,
  euId: 'eu_x',
  attempt: 1,
  inputHash: 'i'.repeat(64),
  outputHash: i.toString(16).padStart(64, '0'),
});

describe('batched result signatures', () => {
  it('proves every result of batches of every size to one signed root', () => {
    const keys = generateKeyPair();
    const pk = keys.publicKey.toString('hex');
    for (let n = 1; n <= 9; n++) {
      const statements = Array.from({ length: n }, (_, i) => statement(i));
      const { root, proofs } = buildBatch(statements.map(leafHash));
      const signature = signBatch(keys, root);
      statements.forEach((s, i) => {
        expect(rootFromProof(leafHash(s), proofs[i]!).equals(root)).toBe(true);
        expect(verifyResult(pk, s, proofs[i]!, signature)).toBe(true);
      });
      expect(proofs.every((p) => p.length <= Math.ceil(Math.log2(n)))).toBe(true);
    }
  });

  it('fails for a changed output, another proof, another key, or an inner node passed off as a leaf', () => {
    const keys = generateKeyPair();
    const pk = keys.publicKey.toString('hex');
    const statements = [0, 1, 2, 3].map(statement);
    const { root, proofs } = buildBatch(statements.map(leafHash));
    const signature = signBatch(keys, root);
    expect(verifyResult(pk, { ...statements[0]!, outputHash: 'f'.repeat(64) }, proofs[0]!, signature)).toBe(false);
    expect(verifyResult(pk, statements[0]!, proofs[1]!, signature)).toBe(false);
    expect(verifyResult(generateKeyPair().publicKey.toString('hex'), statements[0]!, proofs[0]!, signature)).toBe(
      false,
    );
    // The root is not a leaf of itself: an empty path from the root does not verify any statement.
    expect(verifyResult(pk, statements[0]!, [], signature)).toBe(false);
  });
});
