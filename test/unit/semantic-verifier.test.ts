/**
 * Semantic verification with real texts (the BBC file): different correct
 * summaries of one article cluster together, a summary of another article
 * and garbage dissent. The coordinator embeds the outputs' string values.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  clusterByCentres,
  outputText,
  SemanticVerifier,
} from '../../src/coordinator/verification/semantic-verifier.js';
import type { AssignmentState, TaskState } from '../../src/coordinator/memory/state.js';
import { decide } from '../../src/coordinator/verification/verifier.js';
import { hashJson } from '../../src/protocol/index.js';
import { createEmbedder, DEFAULT_SEMANTIC_THRESHOLD } from '../../src/runtime/index.js';
import { BBC_DATA, HAVE_BBC_DATA } from '../runtime/support.js';

interface Article {
  title: string;
  text: string;
  reference_summary: string;
}
const GARBAGE =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.';
const lines = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const articles: Article[] = HAVE_BBC_DATA
  ? readFileSync(BBC_DATA, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Article)
  : [];

/** A task whose results are these summaries, in this order. */
function taskWith(summaries: string[]): {
  task: TaskState;
  results: { assignmentId: string; operatorId: string; outputHash: string }[];
} {
  const assignments = summaries.map(
    (summary, i) =>
      ({
        id: `a${i}`,
        operatorId: `op${i}`,
        status: 'submitted',
        output: JSON.stringify({ summary }),
        outputHash: hashJson({ summary }),
        errorCode: null,
      }) as unknown as AssignmentState,
  );
  const task = { id: 't', assignments } as unknown as TaskState;
  return {
    task,
    results: assignments.map((a) => ({ assignmentId: a.id, operatorId: a.operatorId, outputHash: a.outputHash! })),
  };
}

describe('semantic verification', () => {
  it('embeds string values in key order, not JSON', () => {
    expect(outputText({ summary: 'b', a: ['x', { c: 'y', b: 3 }] })).toBe('x\ny\nb');
  });

  it('clusters by centres: equal hashes always agree, the largest (then the closest) cluster leads', () => {
    const item = (id: string, hash: string, v: number[] | null) => ({
      view: { assignmentId: id, operatorId: id, outputHash: hash },
      vector: v ? new Float32Array(v) : null,
    });
    const { groups } = clusterByCentres(
      [
        item('a', 'h1', [1, 0]),
        item('b', 'h2', [0.8, 0.6]),
        item('c', 'h3', [0, 1]),
        item('d', 'h4', null),
        item('e', 'h4', null),
      ],
      { threshold: 0.7, dissentBelow: 0.7, facts: null },
    );
    expect(groups.map((g) => g.map((r) => r.assignmentId))).toEqual([['d', 'e'], ['a', 'b'], ['c']]);
  });

  it.skipIf(!HAVE_BBC_DATA)(
    'agrees on different correct summaries of one article; another article and garbage dissent (BBC data)',
    async () => {
      const verifier = new SemanticVerifier(() => createEmbedder('tfidf'));
      let verdicts = 0;
      let right = 0;
      for (const [i, article] of articles.entries()) {
        const body = lines(article.text);
        const other = articles[(i + 7) % articles.length]!;
        const { task, results } = taskWith([
          lines(article.reference_summary).join(' '),
          lines(other.reference_summary).join(' '),
          GARBAGE,
          body.slice(0, 3).join(' '),
        ]);
        const { groups } = await verifier.group(task, results, {
          threshold: DEFAULT_SEMANTIC_THRESHOLD,
          dissentBelow: DEFAULT_SEMANTIC_THRESHOLD,
          facts: null,
        });
        verifier.forget(task);
        const d = decide(groups, { quorum: 2, maxReplicas: 5, replicas: 4, live: 0 });
        if (d.kind !== 'verified') continue;
        verdicts += 1;
        const winners = d.winners.map((w) => w.assignmentId).sort();
        if (winners.join() === 'a0,a3') right += 1;
        expect(d.dissenters.map((x) => x.assignmentId)).toEqual(expect.arrayContaining(['a2']));
      }
      console.log(
        `semantic verdicts on ${articles.length} BBC articles: ${verdicts} verdicts, ${right} with exactly the two same-article summaries agreeing`,
      );
      // A task without a verdict here escalates for more replicas in the network.
      expect(verdicts / articles.length).toBeGreaterThanOrEqual(0.95);
      expect(right / articles.length).toBeGreaterThanOrEqual(0.95);
    },
  );
});
