/**
 * The seed derivation is part of the protocol: every replica of a task, on
 * any operator, must start Math.random from the same state. It is held here
 * to the derivation spelt out with node:crypto's Hash, on task seeds and on
 * seeds that are long or not ASCII.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seedWords } from '../../src/runtime/worker/seed-words.js';

/** The first 128 bits of SHA-256 as little-endian words, then 12 sfc32 outputs discarded. */
function referenceSeedWords(seed: string): number[] {
  const digest = createHash('sha256').update(seed, 'utf8').digest();
  let [a, b, c, d] = [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset)) as [number, number, number, number];
  for (let i = 0; i < 12; i++) {
    const t = (((a + b) | 0) + d + 1) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
  }
  return [a >>> 0, b >>> 0, c >>> 0, d >>> 0];
}

describe('seed words', () => {
  it('follow the reference derivation for task seeds', () => {
    for (let i = 0; i < 200; i++) {
      const seed = randomBytes(16).toString('hex');
      expect(seedWords(seed)).toEqual(referenceSeedWords(seed));
    }
  });

  it('hash the UTF-8 bytes of seeds that are long or not ASCII', () => {
    for (const seed of [
      'a',
      'k'.repeat(55),
      'k'.repeat(56),
      'k'.repeat(256),
      'naïve café',
      '日本語のシード',
      '😀'.repeat(40),
    ]) {
      expect(seedWords(seed), JSON.stringify(seed)).toEqual(referenceSeedWords(seed));
    }
  });
});
