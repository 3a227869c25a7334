/**
 * ROUGE against hand-worked examples, and against the published Lead
 * baselines of the BBC file (/work/shared/data/README.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lcsIndices, rouge, rougeL, rougeLsum, rougeN, rougeTokens } from '../bench/rouge.js';

const BBC = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'data', 'bbc-news-summary.jsonl');

describe('rougeTokens', () => {
  it('lowercases and keeps runs of ASCII letters and digits', () => {
    expect(rougeTokens("The cat's 2nd-hat, £600m!")).toEqual(['the', 'cat', 's', '2nd', 'hat', '600m']);
    expect(rougeTokens(' -- ')).toEqual([]);
  });
});

describe('ROUGE-N', () => {
  const cand = rougeTokens('the cat sat on the mat');
  const ref = rougeTokens('the cat is on the mat');

  it('counts unigram overlap with repeats (the ×2, cat, on, mat = 5 of 6)', () => {
    const r1 = rougeN(cand, ref, 1);
    expect(r1.precision).toBeCloseTo(5 / 6, 12);
    expect(r1.recall).toBeCloseTo(5 / 6, 12);
    expect(r1.f1).toBeCloseTo(5 / 6, 12);
  });

  it('counts bigram overlap (the cat, on the, the mat = 3 of 5)', () => {
    const r2 = rougeN(cand, ref, 2);
    expect(r2.precision).toBeCloseTo(3 / 5, 12);
    expect(r2.recall).toBeCloseTo(3 / 5, 12);
  });

  it('clips repeated n-grams at their count in the reference', () => {
    const r1 = rougeN(['the', 'the', 'the'], ['the', 'cat'], 1);
    expect(r1.precision).toBeCloseTo(1 / 3, 12);
    expect(r1.recall).toBeCloseTo(1 / 2, 12);
    expect(r1.f1).toBeCloseTo(0.4, 12);
  });

  it('scores an empty candidate 0', () => {
    expect(rougeN([], ref, 1)).toEqual({ precision: 0, recall: 0, f1: 0 });
  });
});

describe('ROUGE-L', () => {
  it('finds a longest common subsequence (a c e)', () => {
    expect(lcsIndices(['a', 'b', 'c', 'd', 'e'], ['a', 'x', 'c', 'y', 'e'])).toEqual([0, 2, 4]);
    const r = rougeL(['a', 'b', 'c', 'd', 'e'], ['a', 'x', 'c', 'y', 'e', 'z']);
    expect(r.precision).toBeCloseTo(3 / 5, 12);
    expect(r.recall).toBeCloseTo(3 / 6, 12);
  });

  it('summary-level union-LCS follows Lin (2004): r = w1..w5, c1 = w1 w2 w6 w7 w8, c2 = w1 w3 w8 w9 w5', () => {
    const r = rougeLsum(['w1 w2 w6 w7 w8', 'w1 w3 w8 w9 w5'], ['w1 w2 w3 w4 w5']);
    expect(r.recall).toBeCloseTo(4 / 5, 12);
    expect(r.precision).toBeCloseTo(4 / 10, 12);
    expect(r.f1).toBeCloseTo((2 * 0.4 * 0.8) / 1.2, 12);
  });

  it('joined-sequence ROUGE-L depends on sentence order; union-LCS does not', () => {
    const reference = ['b c', 'a'];
    expect(rouge(['a', 'b c'], reference).rougeL.f1).toBeCloseTo(2 / 3, 12);
    expect(rouge(['a', 'b c'], reference).rougeLsum.f1).toBeCloseTo(1, 12);
  });
});

describe.skipIf(!existsSync(BBC))('on the BBC file', () => {
  it('reproduces the published Lead-3 and Lead-k figures', () => {
    const lines = (text: string) =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 0);
    const articles = readFileSync(BBC, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { text: string; reference_summary: string });
    const mean = (k: (ref: string[]) => number) => {
      const sums = { r1: 0, r2: 0, rl: 0 };
      for (const a of articles) {
        const reference = lines(a.reference_summary);
        const scores = rouge(lines(a.text).slice(0, k(reference)), reference);
        sums.r1 += scores.rouge1.f1;
        sums.r2 += scores.rouge2.f1;
        sums.rl += scores.rougeL.f1;
      }
      return [sums.r1, sums.r2, sums.rl].map((s) => Number(((100 * s) / articles.length).toFixed(1)));
    };
    expect(mean(() => 3)).toEqual([46.4, 37.4, 36.3]);
    expect(mean((reference) => reference.length)).toEqual([65.0, 53.4, 41.9]);
  });
});
