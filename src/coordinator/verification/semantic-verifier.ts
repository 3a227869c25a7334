/**
 * Semantic verification: outputs agree when their meaning is close, not
 * when their bytes are equal. For LLM text, where honest replicas word the
 * same summary differently.
 *
 * The coordinator embeds every output itself (an operator never supplies a
 * vector: the wire format has no place for one). What it embeds is the
 * output's string values, joined in canonical key order (for llm-summarize,
 * the summary): JSON punctuation and key names would make every output look
 * alike. Two results agree when their output hashes are equal, or when both
 * are outputs (not errors) whose cosine similarity is at or above the EU's
 * threshold.
 *
 * Similar wording is not enough: when the EU's policy has `facts`, the
 * coordinator also reads the facts each output states (fact-check.ts) and
 * two outputs that differ in them do not agree, however close their words;
 * with `facts.grounded`, an output that states what the input does not say
 * agrees with nothing.
 *
 * A pair is one of three things: it agrees (facts agree, cosine at or above
 * `threshold`), it disagrees decisively (facts differ, an output is
 * unfaithful or lazy, or cosine below `dissentBelow`), or it is unclear
 * (cosine in the grey zone between the two). Unclear is not agreement, so it
 * never joins a cluster, and it is not guilt: a result that no output
 * counted for the verdict disagrees with decisively is rejected as
 * undecided, and nobody is slashed or blamed for it (verdicts.ts,
 * settlement.ts).
 *
 * Clustering is by centres: each result's cluster is itself plus every
 * result that agrees with it; the largest cluster leads (ties: the higher
 * total similarity, then the earlier result). Its centre is the accepted
 * output, so the accepted text agrees with every result counted for it,
 * and a chain of near neighbours cannot drag garbage into a verdict. The
 * rest are clustered the same way, so `decide` sees how many distinct
 * answers there are. A result's vector is computed once, when it is first
 * grouped, and dropped with its task.
 */
import type { SemanticFacts } from '../../protocol/index.js';
import { cosineSimilarity, type Embedder } from '../../runtime/index.js';
import {
  contentSize,
  groundingProblems,
  readFacts,
  replicaConflicts,
  type FactProblem,
  type FactSheet,
} from './fact-check.js';
import type { TaskState } from '../memory/index.js';
import type { Groups, ResultView } from './verifier.js';

/** The text of an output for embedding: its string values, depth-first in sorted key order, one a line. */
export function outputText(output: unknown): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) for (const v of value) walk(v);
    else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value).sort()) walk((value as Record<string, unknown>)[key]);
    }
  };
  walk(output);
  return parts.join('\n');
}

/** How an EU's outputs are compared (from its manifest's `verification`). */
export interface SemanticSettings {
  /** Cosine at or above which two outputs with the same facts agree. */
  threshold: number;
  /** Cosine below which two outputs disagree decisively; between the two is the grey zone. */
  dissentBelow: number;
  /** Fact checks; null compares wording only. */
  facts: SemanticFacts | null;
}

export type Relation = 'agree' | 'unclear' | 'disagree';

export interface Item {
  view: ResultView;
  vector: Float32Array | null;
  /** The facts its text states; null for an error or when the EU checks no facts. */
  facts?: FactSheet | null;
  /** Grounded policy: what in it the input does not support (empty: faithful). */
  problems?: FactProblem[];
}

/** Groups, and the results whose relation to the accepted output (the leading centre) is unclear. */
export interface Grouping {
  groups: Groups;
  undecided: Set<string>;
}

interface Reading {
  vector: Float32Array | null;
  facts: FactSheet | null;
  problems: FactProblem[];
}

export class SemanticVerifier {
  private readonly readings = new Map<string, Reading>();
  private readonly inputs = new Map<string, FactSheet>();
  private embedder: Promise<Embedder> | null = null;

  /** `loadInput` fetches a task's input JSON when it is not held in memory. */
  constructor(
    private readonly load: () => Promise<Embedder>,
    private readonly loadInput: (taskId: string) => Promise<string | null> = async () => null,
  ) {}

  /** The embedder, loaded on first use (a coordinator that never sees a semantic EU never loads one). */
  embedderNow(): Promise<Embedder> {
    this.embedder ??= this.load();
    return this.embedder;
  }

  /** Groups a semantic task's results into agreeing clusters, leading cluster first with its centre first. */
  async group(task: TaskState, results: readonly ResultView[], settings: SemanticSettings): Promise<Grouping> {
    const facts = settings.facts;
    let input: FactSheet | null = null;
    if (facts?.grounded) input = await this.inputFacts(task);
    for (const r of results) {
      if (this.readings.has(r.assignmentId)) continue;
      const a = task.assignments.find((x) => x.id === r.assignmentId);
      if (!a || a.errorCode !== null || a.output === null) {
        this.readings.set(r.assignmentId, { vector: null, facts: null, problems: [] });
        continue;
      }
      const text = outputText(JSON.parse(a.output));
      const embedder = await this.embedderNow();
      // Each text alone: a batch-weighted embedder must not let one replica's output move another's vector.
      const [vector] = await embedder.embed([text]);
      const sheet = facts ? readFacts(text) : null;
      const problems = sheet && input && facts ? groundingProblems(sheet, input, facts) : [];
      this.readings.set(r.assignmentId, { vector: vector ?? null, facts: sheet, problems });
    }
    const items: Item[] = results.map((view) => ({ view, ...this.readings.get(view.assignmentId)! }));
    return clusterByCentres(items, settings);
  }

  /** The facts of a task's input (its string values), read once per task. */
  private async inputFacts(task: TaskState): Promise<FactSheet> {
    let sheet = this.inputs.get(task.id);
    if (!sheet) {
      const json = task.input ?? (await this.loadInput(task.id)) ?? 'null';
      sheet = readFacts(outputText(JSON.parse(json)));
      this.inputs.set(task.id, sheet);
    }
    return sheet;
  }

  /** The grounding problems found in a result (for tests and events); empty when none or unknown. */
  problemsOf(assignmentId: string): FactProblem[] {
    return this.readings.get(assignmentId)?.problems ?? [];
  }

  /** Drops a settled task's readings. */
  forget(task: TaskState): void {
    for (const a of task.assignments) this.readings.delete(a.id);
    this.inputs.delete(task.id);
  }
}

/** How two results relate (see the module comment), and their cosine for tie-breaks. */
export function relate(a: Item, b: Item, settings: SemanticSettings): { relation: Relation; score: number } {
  const unfaithful = (a.problems?.length ?? 0) > 0 || (b.problems?.length ?? 0) > 0;
  if (a.view.outputHash === b.view.outputHash)
    return unfaithful ? { relation: 'disagree', score: 0 } : { relation: 'agree', score: 1 };
  if (!a.vector || !b.vector || unfaithful) return { relation: 'disagree', score: 0 };
  const score = cosineSimilarity(a.vector, b.vector);
  const facts = settings.facts;
  if (facts && a.facts && b.facts) {
    // Grounded outputs were each checked against the input; two faithful ones cannot contradict each other on it.
    if (!facts.grounded && replicaConflicts(a.facts, b.facts).length > 0) return { relation: 'disagree', score };
    const sizes = [contentSize(a.facts), contentSize(b.facts)].sort((x, y) => x - y);
    if (sizes[0]! < facts.lazyBelow * sizes[1]!) return { relation: 'disagree', score };
    if (sizes[0]! < facts.minCoverage * sizes[1]!)
      return { relation: score < settings.dissentBelow ? 'disagree' : 'unclear', score };
  }
  if (score >= settings.threshold) return { relation: 'agree', score };
  return { relation: score < settings.dissentBelow ? 'disagree' : 'unclear', score };
}

/** Centre clustering (see the module comment). Exported for tests. */
export function clusterByCentres(items: readonly Item[], settings: SemanticSettings): Grouping {
  const n = items.length;
  const relations: { relation: Relation; score: number }[][] = [];
  for (let i = 0; i < n; i++) {
    relations.push([]);
    for (let j = 0; j < n; j++)
      relations[i]!.push(
        j === i ? { relation: 'agree', score: 1 } : j < i ? relations[j]![i]! : relate(items[i]!, items[j]!, settings),
      );
  }
  const groups: { centre: number; members: number[] }[] = [];
  let rest = items.map((_, i) => i);
  while (rest.length > 0) {
    let best: { centre: number; members: number[]; total: number } | null = null;
    for (const i of rest) {
      const members: number[] = [];
      let total = 0;
      for (const j of rest) {
        if (j === i || relations[i]![j]!.relation !== 'agree') continue;
        members.push(j);
        total += relations[i]![j]!.score;
      }
      if (
        !best ||
        members.length > best.members.length ||
        (members.length === best.members.length && total > best.total)
      ) {
        best = { centre: i, members, total };
      }
    }
    const taken = new Set([best!.centre, ...best!.members]);
    groups.push({ centre: best!.centre, members: best!.members });
    rest = rest.filter((i) => !taken.has(i));
  }
  groups.sort((a, b) => b.members.length - a.members.length);
  // Undecided: outside the leading cluster, and no output counted for it disagrees decisively. Judged against every
  // member, not the centre alone: which of two agreeing results is the centre is down to arrival order, and a lazy
  // output that is unclear to one honest wording and decisively apart from another must not escape by that order.
  const undecided = new Set<string>();
  const lead = groups[0];
  if (lead) {
    const counted = [lead.centre, ...lead.members];
    for (let j = 0; j < n; j++) {
      if (counted.includes(j)) continue;
      if (counted.every((m) => relations[m]![j]!.relation !== 'disagree')) undecided.add(items[j]!.view.assignmentId);
    }
  }
  return { groups: groups.map((g) => [items[g.centre]!.view, ...g.members.map((j) => items[j]!.view)]), undecided };
}
