/**
 * ROUGE (Lin, 2004) as used for the summarization quality report.
 *
 * Tokens are lowercased runs of ASCII letters and digits (everything else
 * separates tokens) with no stemming and no stopword removal, as
 * /work/shared/data/README.md prescribes; this is also the tokenization of
 * Google's `rouge-score` package.
 *
 * - ROUGE-N: clipped n-gram overlap between candidate and reference, over the
 *   whole summary (n-grams may span sentence boundaries of the joined text),
 *   reported as F1 of precision (overlap / candidate n-grams) and recall
 *   (overlap / reference n-grams).
 * - ROUGE-L: the longest common subsequence of the two summaries' joined
 *   token sequences (rouge-score's `rougeL`). This is the variant the
 *   README's figures use: with it, Lead-3 scores 36.3 and Lead-k 41.9 on the
 *   BBC file, as published; union-LCS gives 45.4 and 64.1 instead.
 * - ROUGE-Lsum: summary-level union-LCS (rouge-score's `rougeLsum`): for every
 *   reference sentence, the union of its longest common subsequences with each
 *   candidate sentence is counted, each token matched at most as often as it
 *   occurs in either summary. Reported alongside because the joined variant
 *   depends on the order of the reference's sentences, which in the BBC data
 *   is not the article's order; union-LCS does not.
 */

/** Precision, recall and F1 of one measure, each in [0, 1]. */
export interface RougeScore {
  precision: number;
  recall: number;
  f1: number;
}

export interface RougeScores {
  rouge1: RougeScore;
  rouge2: RougeScore;
  rougeL: RougeScore;
  rougeLsum: RougeScore;
}

/** Lowercased alphanumeric tokens of a text. */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

function score(overlap: number, candidateCount: number, referenceCount: number): RougeScore {
  const precision = candidateCount === 0 ? 0 : overlap / candidateCount;
  const recall = referenceCount === 0 ? 0 : overlap / referenceCount;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const gram = tokens.slice(i, i + n).join(' ');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N between two token sequences. */
export function rougeN(candidate: string[], reference: string[], n: number): RougeScore {
  const cand = ngramCounts(candidate, n);
  const ref = ngramCounts(reference, n);
  let overlap = 0;
  for (const [gram, count] of cand) overlap += Math.min(count, ref.get(gram) ?? 0);
  return score(overlap, Math.max(0, candidate.length - n + 1), Math.max(0, reference.length - n + 1));
}

/** Indices, in `a`, of one longest common subsequence of `a` and `b`. */
export function lcsIndices(a: string[], b: string[]): number[] {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint32Array(rows * cols);
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      table[i * cols + j] =
        a[i - 1] === b[j - 1]
          ? table[(i - 1) * cols + j - 1]! + 1
          : Math.max(table[(i - 1) * cols + j]!, table[i * cols + j - 1]!);
    }
  }
  const picked: number[] = [];
  let i = a.length;
  let j = b.length;
  while (i > 0 && j > 0) {
    if (a[i - 1] === b[j - 1]) {
      picked.push(i - 1);
      i--;
      j--;
    } else if (table[(i - 1) * cols + j]! >= table[i * cols + j - 1]!) {
      i--;
    } else {
      j--;
    }
  }
  return picked.reverse();
}

/** ROUGE-L over two token sequences, by their longest common subsequence. */
export function rougeL(candidate: string[], reference: string[]): RougeScore {
  return score(lcsIndices(candidate, reference).length, candidate.length, reference.length);
}

/** Summary-level ROUGE-L (union-LCS) between two summaries given as sentences. */
export function rougeLsum(candidateSentences: string[], referenceSentences: string[]): RougeScore {
  const cand = candidateSentences.map(rougeTokens);
  const ref = referenceSentences.map(rougeTokens);
  const candCounts = countTokens(cand.flat());
  const refCounts = countTokens(ref.flat());
  let hits = 0;
  for (const refSentence of ref) {
    const union = new Set<number>();
    for (const candSentence of cand) for (const index of lcsIndices(refSentence, candSentence)) union.add(index);
    for (const index of [...union].sort((x, y) => x - y)) {
      const token = refSentence[index]!;
      const left = Math.min(candCounts.get(token) ?? 0, refCounts.get(token) ?? 0);
      if (left > 0) {
        hits++;
        candCounts.set(token, (candCounts.get(token) ?? 0) - 1);
        refCounts.set(token, (refCounts.get(token) ?? 0) - 1);
      }
    }
  }
  return score(hits, cand.flat().length, ref.flat().length);
}

function countTokens(tokens: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/** ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum of a candidate summary against a reference, both given as sentences. */
export function rouge(candidateSentences: string[], referenceSentences: string[]): RougeScores {
  const cand = rougeTokens(candidateSentences.join('\n'));
  const ref = rougeTokens(referenceSentences.join('\n'));
  return {
    rouge1: rougeN(cand, ref, 1),
    rouge2: rougeN(cand, ref, 2),
    rougeL: rougeL(cand, ref),
    rougeLsum: rougeLsum(candidateSentences, referenceSentences),
  };
}
