/**
 * `npm run eval:summarize`: the summarization quality report. Runs the
 * built-in `news-summarize` EU through the real sandbox (createRuntime) on
 * every article of ../shared/data/bbc-news-summary.jsonl and prints ROUGE-1,
 * ROUGE-2 and ROUGE-L F1 against each article's reference summary, side by
 * side with the Lead baseline at the same length: k = 3 sentences, k = the
 * reference's own length, and k = the EU's default length.
 *
 * Articles in this file are one sentence a line, so a Lead-k summary is the
 * first k non-empty lines, and the EU (which keeps lines as sentences for
 * such text) is compared sentence for sentence.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/eus/index.js';
import { createRuntime, loadEuFolder } from '../src/runtime/index.js';
import { rouge, type RougeScores } from './rouge.js';

export interface Article {
  id: string;
  category: string;
  title: string;
  text: string;
  reference_summary: string;
}

/** One system's mean F1 scores (in percent) at one summary length. */
export interface SystemScores {
  system: string;
  meanSentences: number;
  rouge1: number;
  rouge2: number;
  rougeL: number;
  rougeLsum: number;
}

export interface SummarizeEvaluation {
  articles: number;
  rows: { label: string; ours: SystemScores; lead: SystemScores }[];
}

/** The shared BBC file, resolved from the project root. */
export function bbcDataPath(): string {
  return join(packageRoot(), '..', 'shared', 'data', 'bbc-news-summary.jsonl');
}

export function loadArticles(path = bbcDataPath()): Article[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Article);
}

/** Non-empty trimmed lines: the sentences of a one-sentence-a-line text. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

function mean(system: string, summaries: string[][], references: string[][]): SystemScores {
  const all: RougeScores[] = summaries.map((summary, i) => rouge(summary, references[i]!));
  const avg = (pick: (s: RougeScores) => number) => (100 * all.reduce((sum, s) => sum + pick(s), 0)) / all.length;
  return {
    system,
    meanSentences: summaries.reduce((sum, s) => sum + s.length, 0) / summaries.length,
    rouge1: avg((s) => s.rouge1.f1),
    rouge2: avg((s) => s.rouge2.f1),
    rougeL: avg((s) => s.rougeL.f1),
    rougeLsum: avg((s) => s.rougeLsum.f1),
  };
}

/** Runs the evaluation through the sandbox; returns the table it prints. */
export async function evaluateSummarize(articles = loadArticles()): Promise<SummarizeEvaluation> {
  const runtime = await createRuntime();
  try {
    const eu = await loadEuFolder(join(packageRoot(), 'src', 'eus', 'news-summarize'));
    const references = articles.map((a) => lines(a.reference_summary));
    const summarize = async (sentences: (i: number) => number | undefined): Promise<string[][]> =>
      Promise.all(
        articles.map(async (article, i) => {
          const k = sentences(i);
          const input =
            k === undefined
              ? { title: article.title, text: article.text }
              : { title: article.title, text: article.text, sentences: k };
          const outcome = await runtime.execute({ eu, input, seed: article.id, clock: 0 });
          if (!outcome.ok)
            throw new Error(`news-summarize failed on ${article.id}: ${outcome.error.code} ${outcome.error.message}`);
          return (outcome.output as { summary: string[] }).summary;
        }),
      );
    const rows: SummarizeEvaluation['rows'] = [];
    const compare = async (label: string, k: (i: number) => number | undefined) => {
      const ours = await summarize(k);
      const lead = articles.map((a, i) => lines(a.text).slice(0, ours[i]!.length));
      rows.push({ label, ours: mean('news-summarize', ours, references), lead: mean('Lead', lead, references) });
    };
    await compare('k = 3', () => 3);
    await compare('k = reference length', (i) => references[i]!.length);
    await compare('k = EU default', () => undefined);
    return { articles: articles.length, rows };
  } finally {
    await runtime.close();
  }
}

function cell(n: number, width = 6): string {
  return n.toFixed(1).padStart(width);
}

export function printEvaluation(result: SummarizeEvaluation): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(
    `ROUGE F1 (%) on ${result.articles} BBC articles against reference_summary (lowercased alphanumeric tokens, no stemming)`,
  );
  out('R-L: LCS of the joined token sequences (as in the README); R-Lsum: summary-level union-LCS');
  out('');
  out(
    `${'length'.padEnd(22)}${'system'.padEnd(16)}${'mean k'.padStart(7)}${'R-1'.padStart(7)}${'R-2'.padStart(7)}${'R-L'.padStart(7)}${'R-Lsum'.padStart(8)}`,
  );
  for (const row of result.rows) {
    for (const s of [row.lead, row.ours]) {
      out(
        `${row.label.padEnd(22)}${s.system.padEnd(16)}${cell(s.meanSentences, 7)}${cell(s.rouge1, 7)}${cell(s.rouge2, 7)}${cell(s.rougeL, 7)}${cell(s.rougeLsum, 8)}`,
      );
    }
    const beats = row.ours.rouge1 > row.lead.rouge1 && row.ours.rouge2 > row.lead.rouge2;
    out(
      `${''.padEnd(22)}${beats ? 'beats Lead on R-1 and R-2' : 'does NOT beat Lead on R-1 and R-2'} (R-1 ${(row.ours.rouge1 - row.lead.rouge1).toFixed(1)}, R-2 ${(row.ours.rouge2 - row.lead.rouge2).toFixed(1)} points)`,
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  evaluateSummarize().then(printEvaluation, (error: unknown) => {
    process.stderr.write(`eval:summarize failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
