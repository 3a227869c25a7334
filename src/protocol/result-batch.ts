/**
 * Batched result signatures. An operator signs the results it sends in one
 * frame with one Ed25519 signature over the root of a Merkle tree whose
 * leaves are the results' statements; each result carries its path to the
 * root. Verifying a signature costs ~65 µs and a path a few hashes, and a
 * busy operator sends several results per frame, so this cuts the
 * coordinator's (and the operator's) signature work several-fold while every
 * result stays provable on its own: statement + path + signature + the
 * operator's public key is all a receipt needs.
 *
 * Leaves and inner nodes are hashed with different prefixes (0x00, 0x01, as
 * in RFC 6962), so no inner node can pass for a leaf. A level with an odd
 * node out promotes it unchanged; a path therefore names the side of each
 * sibling it holds (`L<hex>`: the sibling is on the left).
 */
import { canonicalJson, sha256 } from './canonical.js';
import { sign, verify, type KeyPair } from './signing.js';
import type { ResultStatement } from './wire.js';

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export function leafHash(statement: ResultStatement): Buffer {
  return sha256(Buffer.concat([LEAF, Buffer.from(canonicalJson(statement), 'utf8')]));
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.concat([NODE, left, right]));
}

/** Builds the tree over `leaves`; returns its root and each leaf's path. */
export function buildBatch(leaves: Buffer[]): { root: Buffer; proofs: string[][] } {
  if (leaves.length === 0) throw new Error('a batch needs at least one result');
  const proofs: string[][] = leaves.map(() => []);
  // Which leaves sit under each node of the current level.
  let level = leaves.map((hash, i) => ({ hash, members: [i] }));
  while (level.length > 1) {
    const next: typeof level = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      if (!right) {
        next.push(left);
        continue;
      }
      for (const m of left.members) proofs[m]!.push(`R${right.hash.toString('hex')}`);
      for (const m of right.members) proofs[m]!.push(`L${left.hash.toString('hex')}`);
      next.push({ hash: nodeHash(left.hash, right.hash), members: [...left.members, ...right.members] });
    }
    level = next;
  }
  return { root: level[0]!.hash, proofs };
}

/** The root a leaf and its path lead to. */
export function rootFromProof(leaf: Buffer, proof: readonly string[]): Buffer {
  let hash = leaf;
  for (const step of proof) {
    const sibling = Buffer.from(step.slice(1), 'hex');
    hash = step[0] === 'L' ? nodeHash(sibling, hash) : nodeHash(hash, sibling);
  }
  return hash;
}

/** What the operator signs for a batch (domain `result`). */
export function batchStatement(root: Buffer): { merkleRoot: string } {
  return { merkleRoot: root.toString('hex') };
}

export function signBatch(keys: KeyPair, root: Buffer): string {
  return sign(keys, 'result', batchStatement(root));
}

/** True when `signature` is the operator's signature of the batch holding this statement at this path. */
export function verifyResult(
  publicKeyHex: string,
  statement: ResultStatement,
  proof: readonly string[],
  signature: string,
): boolean {
  return verify(publicKeyHex, 'result', batchStatement(rootFromProof(leafHash(statement), proof)), signature);
}
