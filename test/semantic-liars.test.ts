/**
 * Fact-checking semantic verification end to end, with economics on: four
 * staked operator processes run the built-in llm-summarize, each with
 * `llm.complete` pointing at its own OpenAI-compatible server started here.
 * Two servers are honest and word the summary differently (the article's
 * sentences 1-3, and 1, 2 and 4: both grounded in the input); one flips a
 * fact in the first wording (a number, a negation or an antonym: the lie
 * that keeps the wording); one returns the article's title. Every task
 * reaches a verdict on an honest summary, both liars dissent wherever they
 * answered and are slashed, neither honest operator ever is, and the ledger
 * verifies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { readFacts, groundingProblems } from '../src/coordinator/verification/fact-check.js';
import {
  outputText,
  relate,
  type Item,
  type SemanticSettings,
} from '../src/coordinator/verification/semantic-verifier.js';
import { flipFacts } from '../src/sim/fact-flip.js';
import { EuManifest, hashJson } from '../src/protocol/index.js';
import { createEmbedder } from '../src/runtime/index.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';
import { BBC_DATA, HAVE_BBC_DATA, startFakeLlm, type ChatRequest, type FakeLlm } from './runtime/support.js';

interface Article {
  title: string;
  text: string;
}
const lines = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const MANIFEST = EuManifest.parse(
  JSON.parse(readFileSync(new URL('../src/eus/llm-summarize/eu.json', import.meta.url), 'utf8')),
);
const ARTICLES = 8;
const STAKE = 1000;
const SLASH = 50; // the coordinator's default slashDissent

/** What each server answers for an article: two honest wordings, a fact flip of the first, the title. */
function answers(a: Article): { honest: [string, string]; flip: string; title: string } {
  const body = lines(a.text);
  const lead = body.slice(0, 3).join(' ');
  return { honest: [lead, [body[0], body[1], body[3]].join(' ')], flip: flipFacts(lead), title: a.title };
}

describe.skipIf(!HAVE_BBC_DATA)('fact-checking semantic verification on real, staked operators', () => {
  if (!HAVE_BBC_DATA)
    console.log(`skipping the semantic liars end to end: ${BBC_DATA} is absent (it comes with ../shared)`);

  it('accepts an honest summary of every article; the fact flipper and the title liar dissent and are slashed, the honest never', async () => {
    const v = MANIFEST.verification;
    expect(MANIFEST.version).toBe('1.1.0');
    expect(v).toMatchObject({ policy: 'semantic', quorum: 2, maxReplicas: 5, facts: { grounded: true } });
    const settings: SemanticSettings = {
      threshold: v.threshold!,
      dissentBelow: v.dissentBelow ?? v.threshold!,
      facts: v.facts ?? null,
    };

    // Articles where the title is decisively apart from at least one honest wording. On the others a single title
    // sits in the grey zone of the lazy check (coverage between lazyBelow and minCoverage) against both: undecided,
    // so not slashed (unclear is not guilty), which is not what this test is about.
    const embedder = await createEmbedder('tfidf');
    const all = readFileSync(BBC_DATA, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Article);
    const articles: Article[] = [];
    for (const a of all) {
      const { honest, flip, title } = answers(a);
      expect(flip).not.toBe(honest[0]);
      const input = readFacts(outputText({ title: a.title, text: a.text }));
      const item = async (text: string): Promise<Item> => {
        const facts = readFacts(text);
        const [vector] = await embedder.embed([text]);
        return {
          view: { assignmentId: text, operatorId: '', outputHash: text },
          vector: vector!,
          facts,
          problems: groundingProblems(facts, input, v.facts!),
        };
      };
      const [h0, h1, t] = await Promise.all([item(honest[0]), item(honest[1]), item(title)]);
      if (relate(h0, h1, settings).relation !== 'agree') continue;
      if (relate(t, h0, settings).relation === 'unclear' && relate(t, h1, settings).relation === 'unclear') continue;
      articles.push(a);
      if (articles.length === ARTICLES) break;
    }
    expect(articles).toHaveLength(ARTICLES);

    const byPrompt = (request: ChatRequest): Article | null => {
      const prompt = request.body.messages.at(-1)!.content;
      return articles.find((a) => prompt.includes(`${a.title}\n\n${lines(a.text)[0]}`)) ?? null;
    };
    const roles = ['honest-a', 'honest-b', 'flip', 'title'] as const;
    const servers: FakeLlm[] = [];
    for (const role of roles) {
      servers.push(
        await startFakeLlm((request) => {
          const article = byPrompt(request);
          if (!article) return { content: 'ok' }; // the operator's start-up probe
          const x = answers(article);
          return {
            content:
              role === 'honest-a'
                ? x.honest[0]
                : role === 'honest-b'
                  ? x.honest[1]
                  : role === 'flip'
                    ? x.flip
                    : x.title,
          };
        }),
      );
    }
    try {
      const { network, client, log, dir } = await startNetwork(
        'semantic-liars',
        servers.map((s, k) => ({
          region: `r${k + 1}`,
          maxConcurrent: 1,
          workers: 1,
          capabilities: ['llm.complete'],
          args: ['--llm-url', s.baseUrl, '--llm-model', 'fake-llm'],
        })),
        { builtinEus: true, minStake: 100, operatorStake: STAKE },
      );
      const idOf = (k: number) => network.operators.find((o) => o.spec.args![1] === servers[k]!.baseUrl)!.operatorId;
      const [honestA, honestB, flipper, titler] = [0, 1, 2, 3].map(idOf) as [string, string, string, string];
      const liars = [flipper, titler];
      const admin = network.admin();
      const account = await admin.createAccount('newsroom');
      await admin.deposit(account.id, 10_000);
      const dev = new CortenClient(network.url, { apiKey: account.apiKey });

      const { taskIds } = await dev.submitTasks(
        'llm-summarize',
        articles.map((a) => ({ title: a.title, text: a.text })),
      );
      await log.waitForSettled(taskIds);
      expect(log.of('task.failed')).toEqual([]);
      const verdicts = log.of('task.verified');
      expect(verdicts).toHaveLength(ARTICLES);

      const received = log.of('result.received');
      const answeredBy = (op: string) => new Set(received.filter((e) => e.operatorId === op).map((e) => e.taskId));
      for (const op of [honestA, honestB, ...liars])
        expect(answeredBy(op).size, `tasks answered by ${op}`).toBeGreaterThan(0);
      for (const verdict of verdicts) {
        const x = answers(articles[taskIds.indexOf(verdict.taskId!)]!);
        // The accepted output is an honest wording, never the flipped facts or the title.
        expect(x.honest.map((s) => hashJson({ summary: s }))).toContain(verdict.data.outputHash);
        expect(verdict.data.agreeing.length).toBeGreaterThanOrEqual(2);
        for (const liar of liars) {
          expect(verdict.data.agreeing).not.toContain(liar);
          if (answeredBy(liar).has(verdict.taskId))
            expect(verdict.data.dissenting, `${liar} on ${verdict.taskId}`).toContain(liar);
        }
        for (const honest of [honestA, honestB]) {
          expect(verdict.data.dissenting).not.toContain(honest);
          expect(verdict.data.undecided ?? []).not.toContain(honest);
        }
      }

      // One slash per dissent, only liars; stakes lowered by exactly that, the honest untouched.
      const slashes = log.of('ledger.slashed');
      expect(
        slashes.every(
          (e) => liars.includes(e.data.operatorId) && e.data.reason === 'dissent' && e.data.amount === SLASH,
        ),
      ).toBe(true);
      const operators = await client.listOperators();
      for (const liar of liars) {
        const dissents = verdicts.filter((d) => d.data.dissenting.includes(liar)).length;
        expect(dissents, `dissents of ${liar}`).toBeGreaterThan(0);
        expect(slashes.filter((e) => e.data.operatorId === liar)).toHaveLength(dissents);
        expect(operators.find((o) => o.id === liar)!.stake).toBe(STAKE - SLASH * dissents);
      }
      for (const honest of [honestA, honestB]) expect(operators.find((o) => o.id === honest)!.stake).toBe(STAKE);

      const audit = await runCli(['ledger', 'verify', '--data', join(dir, 'coordinator')]);
      expect(audit.stderr).toBe('');
      expect(audit.code).toBe(0);
      expect(audit.stdout).toMatch(/ok: the chain links/);
    } finally {
      for (const s of servers) await s.close();
    }
  }, 180_000);
});
