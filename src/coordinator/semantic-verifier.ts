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
 * Clustering is by centres: each result's cluster is itself plus every
 * result that agrees with it; the largest cluster leads (ties: the higher
 * total similarity, then the earlier result). Its centre is the accepted
 * output, so the accepted text agrees with every result counted for it,
 * and a chain of near neighbours cannot drag garbage into a verdict. The
 * rest are clustered the same way, so `decide` sees how many distinct
 * answers there are. A result's vector is computed once, when it is first
 * grouped, and dropped with its task.
 */
import { cosineSimilarity, type Embedder } from '../runtime/index.js';
import type { TaskState } from './state.js';
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

interface Item {
  view: ResultView;
  vector: Float32Array | null;
}

export class SemanticVerifier {
  private readonly vectors = new Map<string, Float32Array | null>();
  private embedder: Promise<Embedder> | null = null;

  constructor(private readonly load: () => Promise<Embedder>) {}

  /** The embedder, loaded on first use (a coordinator that never sees a semantic EU never loads one). */
  embedderNow(): Promise<Embedder> {
    this.embedder ??= this.load();
    return this.embedder;
  }

  /** Groups a semantic task's results into agreeing clusters, leading cluster first with its centre first. */
  async group(task: TaskState, results: readonly ResultView[], threshold: number): Promise<Groups> {
    const missing = results.filter((r) => !this.vectors.has(r.assignmentId));
    if (missing.length > 0) {
      const texts: string[] = [];
      const owners: string[] = [];
      for (const r of missing) {
        const a = task.assignments.find((x) => x.id === r.assignmentId);
        if (!a || a.errorCode !== null || a.output === null) {
          this.vectors.set(r.assignmentId, null);
          continue;
        }
        texts.push(outputText(JSON.parse(a.output)));
        owners.push(r.assignmentId);
      }
      if (texts.length > 0) {
        const embedder = await this.embedderNow();
        // Each text alone: a batch-weighted embedder must not let one replica's output move another's vector.
        for (let i = 0; i < texts.length; i++) {
          const [vector] = await embedder.embed([texts[i]!]);
          this.vectors.set(owners[i]!, vector ?? null);
        }
      }
    }
    const items: Item[] = results.map((view) => ({ view, vector: this.vectors.get(view.assignmentId) ?? null }));
    return clusterByCentres(items, threshold);
  }

  /** Drops a settled task's vectors. */
  forget(task: TaskState): void {
    for (const a of task.assignments) this.vectors.delete(a.id);
  }
}

function similarity(a: Item, b: Item): number {
  if (a.view.outputHash === b.view.outputHash) return 1;
  if (!a.vector || !b.vector) return 0;
  return cosineSimilarity(a.vector, b.vector);
}

/** Centre clustering (see the module comment). Exported for tests. */
export function clusterByCentres(items: readonly Item[], threshold: number): Groups {
  const groups: Groups = [];
  let rest = [...items];
  while (rest.length > 0) {
    let best: { centre: number; members: number[]; total: number } | null = null;
    for (let i = 0; i < rest.length; i++) {
      const members: number[] = [];
      let total = 0;
      for (let j = 0; j < rest.length; j++) {
        if (j === i) continue;
        const s = similarity(rest[i]!, rest[j]!);
        if (s >= threshold) {
          members.push(j);
          total += s;
        }
      }
      if (!best || members.length > best.members.length || (members.length === best.members.length && total > best.total)) {
        best = { centre: i, members, total };
      }
    }
    const taken = new Set([best!.centre, ...best!.members]);
    groups.push([rest[best!.centre]!.view, ...best!.members.map((j) => rest[j]!.view)]);
    rest = rest.filter((_, i) => !taken.has(i));
  }
  return groups.sort((a, b) => b.length - a.length);
}
