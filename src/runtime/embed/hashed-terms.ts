/**
 * Bag-of-terms vectors by feature hashing: each term (a Porter2 stem of a
 * content word or number, stop words dropped) is hashed (FNV-1a) to one of a
 * fixed number of dimensions with a hashed sign, so vectors need no
 * vocabulary, have the same dimension on every machine, and are identical
 * for identical text. Collisions cost little at 512 dimensions for texts of a
 * few hundred words, and the signs make them cancel rather than pile up.
 */
import type { AnalyzedText } from '../capabilities/wink.js';

/** Dimension of hashed term vectors: large enough for article-length texts, small enough to ship as JSON. */
export const HASHED_DIMENSIONS = 512;
const TERM_TYPES = new Set(['word', 'number']);

/** Counts of the content terms of an analyzed text. */
export function termCounts(analysis: AnalyzedText): Map<string, number> {
  const counts = new Map<string, number>();
  for (const token of analysis.tokens) {
    if (token.stop || !TERM_TYPES.has(token.type)) continue;
    const term = token.stem || token.normal;
    counts.set(term, (counts.get(term) ?? 0) + 1);
  }
  return counts;
}

/** 32-bit FNV-1a over UTF-16 code units. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Sublinear term frequency: the tenth repetition of a word adds less than the second. */
export function termFrequencyWeight(count: number): number {
  return 1 + Math.log(count);
}

/** Hashes weighted terms into an L2-normalised vector (all zeros when there are no terms). */
export function hashedVector(weights: Iterable<[string, number]>, dimensions = HASHED_DIMENSIONS): Float32Array {
  const sums = new Float64Array(dimensions);
  for (const [term, weight] of weights) {
    const hash = fnv1a(term);
    sums[hash % dimensions]! += hash & 0x80000000 ? -weight : weight;
  }
  let norm = 0;
  for (const x of sums) norm += x * x;
  const vector = new Float32Array(dimensions);
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i] = sums[i]! * scale;
  return vector;
}
