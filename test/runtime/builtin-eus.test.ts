/**
 * The built-in EUs, run through the real sandbox. news-summarize must beat
 * the Lead baseline on ROUGE-1 and ROUGE-2 at equal length on the BBC file,
 * and give identical output on every replica.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EuPackage } from '../../src/protocol/index.js';
import { builtinEuDirs, packageRoot } from '../../src/eus/index.js';
import { createRuntime, loadEuFolder, type SandboxRuntime } from '../../src/runtime/index.js';
import { rouge } from '../../bench/rouge.js';
import { BBC_DATA, HAVE_BBC_DATA } from './support.js';

interface Article {
  id: string;
  title: string;
  text: string;
  reference_summary: string;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
let runtime: SandboxRuntime;
const eus = new Map<string, EuPackage>();

beforeAll(async () => {
  runtime = await createRuntime({ workers: 2 });
  for (const dir of builtinEuDirs()) {
    const eu = await loadEuFolder(dir);
    eus.set(eu.manifest.name, eu);
  }
});

afterAll(async () => {
  await runtime.close();
});

function summarize(input: Record<string, unknown>, seed = 's') {
  return runtime.execute({ eu: eus.get('news-summarize')!, input, seed, clock: 0 });
}

describe('builtinEuDirs', () => {
  it('finds the EU folders under the package root', () => {
    expect(packageRoot()).toBe(join(builtinEuDirs()[0]!, '..', '..', '..'));
    expect([...eus.keys()].sort()).toEqual([
      'double',
      'llm-chat',
      'llm-summarize',
      'news-summarize',
      'sentiment',
      'text-embed',
    ]);
  });
});

describe('double', () => {
  it('doubles', async () => {
    expect(await runtime.execute({ eu: eus.get('double')!, input: { x: 21 }, seed: 's', clock: 0 })).toMatchObject({
      ok: true,
      output: { y: 42 },
    });
  });
});

describe('news-summarize', () => {
  const article = {
    title: 'Rail fares to rise',
    text: [
      'Rail fares in Britain will rise by an average of 4% in January, the rail industry said on Tuesday.',
      'The increase is above inflation for the third year running.',
      'Passenger groups said the rise in rail fares would push travellers back onto the roads.',
      'The industry said the extra money would pay for new trains and longer platforms.',
      'Weather forecasters expect a mild winter.',
      'Fares on some commuter routes into London will rise by more than 6%.',
    ].join('\n'),
  };

  it("returns the asked number of the article's own sentences, in article order", async () => {
    const outcome = await summarize({ ...article, sentences: 2 });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const { summary, method } = outcome.output as { summary: string[]; method: string };
    expect(method).toBe('centrality+term-frequency');
    expect(summary).toHaveLength(2);
    const sentences = article.text.split('\n');
    for (const s of summary) expect(sentences).toContain(s);
    expect(summary.map((s) => sentences.indexOf(s))).toEqual(
      [...summary.map((s) => sentences.indexOf(s))].sort((a, b) => a - b),
    );
    expect(summary).not.toContain('Weather forecasters expect a mild winter.');
  });

  it('splits running prose into sentences', async () => {
    const prose = { title: article.title, text: article.text.split('\n').join(' ') };
    const outcome = await summarize({ ...prose, sentences: 2 });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const summary = (outcome.output as { summary: string[] }).summary;
    expect(summary).toHaveLength(2);
    for (const s of summary) expect(article.text.split('\n')).toContain(s);
  });

  it('gives the same output on every replica, whatever the seed', async () => {
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => summarize(article, `seed-${i}`)));
    const texts = new Set(outcomes.map((o) => JSON.stringify(o.ok ? o.output : o.error)));
    expect(texts.size).toBe(1);
    expect(outcomes[0]!.ok).toBe(true);
  });

  it.skipIf(!HAVE_BBC_DATA)('beats Lead-3 and Lead-k on ROUGE-1 and ROUGE-2 at equal length (BBC data)', async () => {
    const articles = readFileSync(BBC_DATA, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Article);
    for (const k of [3, undefined]) {
      let ours1 = 0;
      let ours2 = 0;
      let lead1 = 0;
      let lead2 = 0;
      for (const a of articles) {
        const reference = lines(a.reference_summary);
        const sentences = k ?? reference.length;
        const outcome = await summarize({ title: a.title, text: a.text, sentences }, a.id);
        if (!outcome.ok) throw new Error(`${a.id}: ${outcome.error.code} ${outcome.error.message}`);
        const summary = (outcome.output as { summary: string[] }).summary;
        expect(summary).toHaveLength(Math.min(sentences, lines(a.text).length));
        const ours = rouge(summary, reference);
        const lead = rouge(lines(a.text).slice(0, summary.length), reference);
        ours1 += ours.rouge1.f1;
        ours2 += ours.rouge2.f1;
        lead1 += lead.rouge1.f1;
        lead2 += lead.rouge2.f1;
      }
      expect(ours1).toBeGreaterThan(lead1);
      expect(ours2).toBeGreaterThan(lead2);
    }
  });
});
