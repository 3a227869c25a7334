/**
 * keywords: the n most frequent content words of a text (host.nlp.keywords)
 * and its number of sentences (host.nlp.sentences). Deterministic, so the
 * exact policy can compare replicas by hash.
 */
import { top } from './rank.js';

const DEFAULT_N = 5;

export function run(input, host) {
  if (input.text.trim() === '') throw new Error('the text is blank');
  const n = input.n ?? DEFAULT_N;
  return {
    keywords: top(host.nlp.keywords(input.text, n)),
    sentences: host.nlp.sentences(input.text).length,
  };
}
