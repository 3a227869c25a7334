/**
 * Text embeddings: texts become unit vectors whose cosine similarity says how
 * close their meaning is. The coordinator's semantic verifier embeds the
 * outputs of a task's replicas and clusters them by similarity; EUs reach the
 * default embedding through `host.embed.text`.
 */

/** A way of turning texts into vectors of a fixed dimension. */
export interface Embedder {
  /** Backend and version, recorded with verdicts (`tfidf-hash-512`, `wink-sg-100d`). */
  readonly name: string;
  readonly dimensions: number;
  /**
   * Embeds texts as L2-normalised vectors. A backend may weigh terms by how
   * they spread over the batch, so embed texts that are compared together in
   * one call.
   */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Cosine similarity of two vectors of the same length; 0 when either is all zeros. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cannot compare vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}
