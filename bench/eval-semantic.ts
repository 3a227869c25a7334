/**
 * `npm run eval:semantic`: how well semantic verification tells honest
 * summaries from lies, on the shared BBC articles. For every article it
 * generates honest summaries (semantic-variants.ts) and lies of each class,
 * and asks the coordinator's own verifier (semantic-verifier.ts with
 * fact-check.ts, the same code a verdict runs) how each pair relates: agree,
 * unclear (grey zone: escalated, never slashed) or disagree (decisive).
 *
 * The articles are split by a hash of their id: the tuning part is what
 * llm-summarize's thresholds were chosen on, the held-out part was not
 * looked at while choosing. Both are reported, against the targets: each
 * lie class accepted at most 1% of the time, honest pairs decisively
 * disagreeing at most 0.5%.
 *
 * Short answers (a chat EU's): the articles' short sentences, alone and in
 * pairs, compared replica against replica (facts not grounded: a question
 * has nothing to ground an answer in). Honest answers state the same facts
 * reworded or reordered; each lie changes one fact of one of them.
 *
 * `--sweep` prints the tuning part's figures over a grid of thresholds.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFacts, groundingProblems } from '../src/coordinator/verification/fact-check.js';
import {
  outputText,
  relate,
  type Item,
  type Relation,
  type SemanticSettings,
} from '../src/coordinator/verification/semantic-verifier.js';
import { packageRoot } from '../src/eus/index.js';
import { hashJson } from '../src/protocol/index.js';
import { createEmbedder, loadEuFolder, type Embedder } from '../src/runtime/index.js';
import { changeNumber, swapAntonym, toggleNegation } from '../src/sim/fact-flip.js';
import {
  honestVariants,
  innerCapitalised,
  LIE_CLASSES,
  lies,
  reword,
  type Article,
  type Variant,
} from './semantic-variants.js';

export const DATA = join(packageRoot(), '..', 'shared', 'data', 'bbc-news-summary.jsonl');

/** Targets (issue 10): the most a lie class may be accepted, and honest pairs may decisively disagree. */
export const MAX_LIE_ACCEPTED = 0.01;
export const MAX_HONEST_DISSENT = 0.005;

export type Part = 'tuning' | 'held-out';

/** The deterministic split: by the first byte of sha256(id), half and half. */
export function partOf(a: Article): Part {
  return createHash('sha256').update(a.id).digest()[0]! < 128 ? 'tuning' : 'held-out';
}

export interface Tally {
  pairs: number;
  agree: number;
  unclear: number;
  disagree: number;
}
const tally = (): Tally => ({ pairs: 0, agree: 0, unclear: 0, disagree: 0 });
function count(t: Tally, r: Relation): void {
  t.pairs += 1;
  t[r] += 1;
}

export interface SemanticEvaluation {
  articles: number;
  honest: Tally;
  lies: Record<string, Tally>;
}

/** Reads a text as the verifier would (vector, facts, grounding problems). */
async function item(
  embedder: Embedder,
  text: string,
  input: ReturnType<typeof readFacts>,
  s: SemanticSettings,
  id: string,
): Promise<Item> {
  const [vector] = await embedder.embed([text]);
  const facts = s.facts ? readFacts(text) : null;
  const problems = facts && s.facts?.grounded ? groundingProblems(facts, input, s.facts) : [];
  return {
    view: { assignmentId: id, operatorId: id, outputHash: hashJson({ summary: text }) },
    vector: vector ?? null,
    facts,
    problems,
  };
}

export async function evaluateSemantic(
  all: readonly Article[],
  part: Part | 'all',
  s: SemanticSettings,
): Promise<SemanticEvaluation> {
  const embedder = await createEmbedder('tfidf');
  const out: SemanticEvaluation = {
    articles: 0,
    honest: tally(),
    lies: Object.fromEntries(LIE_CLASSES.map((c) => [c, tally()])),
  };
  for (const [i, a] of all.entries()) {
    if (part !== 'all' && partOf(a) !== part) continue;
    out.articles += 1;
    const input = readFacts(outputText({ title: a.title, text: a.text }));
    const read = (v: Variant, k: string) => item(embedder, v.text, input, s, k);
    const honest = await Promise.all(honestVariants(a).map((v, k) => read(v, `h${k}`)));
    for (let x = 0; x < honest.length; x++) {
      for (let y = x + 1; y < honest.length; y++) count(out.honest, relate(honest[x]!, honest[y]!, s).relation);
    }
    for (const kind of LIE_CLASSES) {
      for (const [k, lie] of lies(all, i, kind).entries()) {
        const l = await read(lie, `l${k}`);
        for (const h of honest) count(out.lies[kind]!, relate(l, h, s).relation);
      }
    }
  }
  return out;
}

/** A sentence of at most this many words is a short answer (a chat answer's length). */
const SHORT_WORDS = 14;
/** Short sentences taken from each article: enough pairs, a bounded run. */
const SHORT_PER_ARTICLE = 4;
const SHORT_LIES: readonly [string, (text: string, other: string | undefined) => string | null][] = [
  ['numbers', changeNumber],
  ['negation', toggleNegation],
  ['antonyms', swapAntonym],
  [
    'entities',
    (text, other) => {
      const target = innerCapitalised(text)[0];
      return target === undefined || other === undefined ? null : text.replaceAll(target, other);
    },
  ],
];

/** Replica comparison of short answers (see the module comment), with `s`'s thresholds and facts not grounded. */
export async function evaluateShortAnswers(all: readonly Article[], s: SemanticSettings): Promise<SemanticEvaluation> {
  const replicas: SemanticSettings = s.facts ? { ...s, facts: { ...s.facts, grounded: false } } : s;
  const embedder = await createEmbedder('tfidf');
  const out: SemanticEvaluation = {
    articles: 0,
    honest: tally(),
    lies: Object.fromEntries(SHORT_LIES.map(([c]) => [c, tally()])),
  };
  const none = readFacts('');
  for (const [i, a] of all.entries()) {
    const short = a.text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0 && l.split(/\s+/).length <= SHORT_WORDS)
      .slice(0, SHORT_PER_ARTICLE);
    if (short.length === 0) continue;
    out.articles += 1;
    const other = innerCapitalised(all[(i + 7) % all.length]!.text).find((w) => !a.text.includes(w));
    // One answer a group: the same facts in other words or another order.
    const groups = short.map((x) => [x, reword(x)]);
    for (let k = 0; k + 1 < short.length; k++) {
      const [x, y] = [short[k]!, short[k + 1]!];
      groups.push([`${x} ${y}`, `${y} ${x}`, reword(`${y} ${x}`)]);
    }
    for (const [g, texts] of groups.entries()) {
      const distinct = [...new Set(texts)];
      const honest = await Promise.all(distinct.map((t, k) => item(embedder, t, none, replicas, `h${k}`)));
      for (let x = 0; x < honest.length; x++) {
        for (let y = x + 1; y < honest.length; y++)
          count(out.honest, relate(honest[x]!, honest[y]!, replicas).relation);
      }
      for (const [kind, flip] of SHORT_LIES) {
        const lie = flip(distinct[0]!, other);
        if (lie === null || lie === distinct[0]) continue;
        const l = await item(embedder, lie, none, replicas, `l${g}`);
        for (const h of honest) count(out.lies[kind]!, relate(l, h, replicas).relation);
      }
    }
  }
  return out;
}

const pct = (n: number, d: number): string => (d === 0 ? '–' : `${((100 * n) / d).toFixed(1)}%`);

export function formatTable(byPart: [string, SemanticEvaluation][]): string {
  const rows = [
    '| part | pairs | class | n | agree (accepted) | unclear (escalated) | disagree (decisive) | target | met |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, e] of byPart) {
    const h = e.honest;
    rows.push(
      `| ${name} (${e.articles} articles) | honest | honest variants | ${h.pairs} | ${pct(h.agree, h.pairs)} | ${pct(h.unclear, h.pairs)} | ${pct(h.disagree, h.pairs)} | disagree ≤ 0.5% | ${h.disagree <= MAX_HONEST_DISSENT * h.pairs ? 'yes' : 'NO'} |`,
    );
    for (const [kind, t] of Object.entries(e.lies)) {
      rows.push(
        `| ${name} | lie | ${kind} | ${t.pairs} | ${pct(t.agree, t.pairs)} | ${pct(t.unclear, t.pairs)} | ${pct(t.disagree, t.pairs)} | accepted ≤ 1% | ${t.agree <= MAX_LIE_ACCEPTED * t.pairs ? 'yes' : 'NO'} |`,
      );
    }
  }
  return rows.join('\n');
}

/** The settings llm-summarize's manifest declares. */
export async function llmSummarizeSettings(): Promise<SemanticSettings> {
  const eu = await loadEuFolder(join(packageRoot(), 'src', 'eus', 'llm-summarize'));
  const v = eu.manifest.verification;
  return { threshold: v.threshold!, dissentBelow: v.dissentBelow ?? v.threshold!, facts: v.facts ?? null };
}

export function loadArticles(): Article[] {
  return readFileSync(DATA, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Article);
}

async function main(): Promise<void> {
  const all = loadArticles();
  const settings = await llmSummarizeSettings();
  if (process.argv.includes('--sweep')) {
    for (const threshold of [0.2, 0.25, 0.3, 0.35, 0.4]) {
      for (const dissentBelow of [0, 0.05, 0.1, 0.15]) {
        for (const minCoverage of [0, 0.15, 0.2, 0.25, 0.3]) {
          const s: SemanticSettings = { threshold, dissentBelow, facts: { ...settings.facts!, minCoverage } };
          const e = await evaluateSemantic(all, 'tuning', s);
          const worst = Math.max(...Object.values(e.lies).map((t) => t.agree / t.pairs));
          console.log(
            `threshold ${threshold} dissentBelow ${dissentBelow} minCoverage ${minCoverage}: honest disagree ${pct(e.honest.disagree, e.honest.pairs)} unclear ${pct(e.honest.unclear, e.honest.pairs)}; worst lie accepted ${(100 * worst).toFixed(1)}%`,
          );
        }
      }
    }
    return;
  }
  const legacy: SemanticSettings = { threshold: 0.3, dissentBelow: 0.3, facts: null };
  console.log(
    `semantic verification on ${all.length} BBC articles, llm-summarize's policy: threshold ${settings.threshold}, dissentBelow ${settings.dissentBelow}, facts ${JSON.stringify(settings.facts)}\n`,
  );
  console.log(
    formatTable([
      ['tuning', await evaluateSemantic(all, 'tuning', settings)],
      ['held-out', await evaluateSemantic(all, 'held-out', settings)],
    ]),
  );
  console.log(
    `\nshort answers (at most ${SHORT_WORDS} words, one or two sentences), replica against replica, facts not grounded:\n`,
  );
  console.log(formatTable([['short', await evaluateShortAnswers(all, settings)]]));
  console.log('\nfor comparison, wording alone (cosine ≥ 0.3, no facts, no grey zone), all articles:\n');
  console.log(formatTable([['all', await evaluateSemantic(all, 'all', legacy)]]));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
