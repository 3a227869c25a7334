/**
 * Semantic verification end to end: llm-summarize on real operator
 * processes whose `llm.complete` points at small OpenAI-compatible servers
 * started here. Three servers return different wordings of a correct
 * summary of each BBC article (its reference summary, its lead, a later
 * window), one returns garbage. The coordinator embeds the summaries itself
 * and clusters them: every task reaches a verdict on an honest wording, and
 * the garbage operator dissents wherever it answered.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { hashJson, verifyReceipt } from '../src/protocol/index.js';
import { cosineSimilarity, createEmbedder, DEFAULT_SEMANTIC_THRESHOLD } from '../src/runtime/index.js';
import { startNetwork } from './helpers/network.js';
import { BBC_DATA, HAVE_BBC_DATA, startFakeLlm, type ChatRequest, type FakeLlm } from './runtime/support.js';

interface Article {
  title: string;
  text: string;
  reference_summary: string;
}
const lines = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const GARBAGE =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.';

/** Three honest wordings of a summary of an article. */
function wordings(a: Article): string[] {
  const body = lines(a.text);
  return [lines(a.reference_summary).join(' '), body.slice(0, 3).join(' '), body.slice(1, 5).join(' ')];
}

describe.skipIf(!HAVE_BBC_DATA)('semantic verification on real operators', () => {
  if (!HAVE_BBC_DATA)
    console.log(`skipping semantic verification end to end: ${BBC_DATA} is absent (it comes with ../shared)`);

  it('reaches a verdict on an honest wording of each article; the garbage operator dissents', async () => {
    const all = readFileSync(BBC_DATA, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Article);
    // Articles whose honest wordings all agree with margin, so the test is about the network, not the embedder's edge
    // cases
    // (the embedder's own figures over every article are in test/unit/semantic-verifier.test.ts).
    const embedder = await createEmbedder('tfidf');
    const articles: Article[] = [];
    for (const a of all) {
      const v = await embedder.embed(wordings(a));
      const pairs = (
        [
          [0, 1],
          [0, 2],
          [1, 2],
        ] as const
      ).map(([i, j]) => cosineSimilarity(v[i]!, v[j]!));
      if (pairs.every((s) => s >= DEFAULT_SEMANTIC_THRESHOLD + 0.1)) articles.push(a);
      if (articles.length === 6) break;
    }
    expect(articles).toHaveLength(6);
    const byPrompt = (request: ChatRequest) => {
      const prompt = request.body.messages.at(-1)!.content;
      if (prompt.startsWith('Reply with the single word')) return null;
      return articles.find((a) => prompt.includes(a.title)) ?? null;
    };
    const servers: FakeLlm[] = [];
    for (let k = 0; k < 3; k++) {
      servers.push(
        await startFakeLlm((request) => {
          const article = byPrompt(request);
          return { content: article ? wordings(article)[k]! : 'ok' };
        }),
      );
    }
    servers.push(await startFakeLlm((request) => ({ content: byPrompt(request) ? GARBAGE : 'ok' })));
    try {
      const { network, log } = await startNetwork(
        'semantic',
        servers.map((s, k) => ({
          region: `r${k + 1}`,
          maxConcurrent: 1,
          workers: 1,
          capabilities: ['llm.complete'],
          args: ['--llm-url', s.baseUrl, '--llm-model', 'fake-llm'],
        })),
        { builtinEus: true },
      );
      const garbage = network.operators.find((o) => o.spec.args![1] === servers[3]!.baseUrl)!.operatorId;
      const admin = network.admin();
      const account = await admin.createAccount('semantic');
      await admin.deposit(account.id, 10_000);
      const dev = new CortenClient(network.url, { apiKey: account.apiKey });

      const { taskIds } = await dev.submitTasks(
        'llm-summarize',
        articles.map((a) => ({ title: a.title, text: a.text })),
      );
      await log.waitForSettled(taskIds);
      expect(log.of('task.failed')).toEqual([]);
      const verdicts = log.of('task.verified');
      expect(verdicts).toHaveLength(articles.length);
      const answered = new Set(
        log
          .of('result.received')
          .filter((e) => e.operatorId === garbage)
          .map((e) => e.taskId),
      );
      expect(answered.size).toBeGreaterThan(0);
      for (const v of verdicts) {
        const article = articles[taskIds.indexOf(v.taskId!)]!;
        expect(wordings(article).map((w) => hashJson({ summary: w }))).toContain(v.data.outputHash);
        expect(v.data.agreeing).not.toContain(garbage);
        if (answered.has(v.taskId)) expect(v.data.dissenting).toContain(garbage);
      }
      // Honest operators worded their summaries differently, and still agreed.
      expect(
        verdicts.some(
          (v) =>
            new Set(
              log
                .of('result.received')
                .filter((r) => r.taskId === v.taskId && v.data.agreeing.includes(r.operatorId!))
                .map((r) => r.data.outputHash),
            ).size > 1,
        ),
      ).toBe(true);
      const receipt = await dev.getReceipt(verdicts[0]!.taskId!);
      expect(verifyReceipt(receipt).ok).toBe(true);
      expect(receipt.verification).toMatchObject({ policy: 'semantic', threshold: 0.3, embedder: 'tf-hash-512' });
      expect(log.of('ledger.slashed').filter((e) => e.data.operatorId === garbage).length).toBe(0); // unstaked: nothing to slash
    } finally {
      for (const s of servers) await s.close();
    }
  });
});
