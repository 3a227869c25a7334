/**
 * Verdicts. Given a task's results, decide: wait for more, escalate (ask for
 * more replicas), accept an output, or give up as unverifiable.
 *
 *   results agree     → a group of `quorum` equal outputs wins; every other
 *                       result dissents.
 *   not yet           → wait while outstanding replicas could still make a
 *                       quorum.
 *   cannot with what  → escalate: raise the replica count by the shortfall,
 *   is outstanding      as long as `maxReplicas` allows.
 *   never             → unverifiable: even if every remaining replica agreed
 *                       with the leading group, it could not reach quorum.
 *
 * Outputs are grouped by a `Grouper`: by canonical hash for the exact policy,
 * by embedding clusters for the semantic one (semantic-verifier.ts).
 */

export interface ResultView {
  assignmentId: string;
  operatorId: string;
  outputHash: string;
}

/** Results grouped into agreeing sets, largest first. */
export type Groups = ResultView[][];

export type Decision =
  | { kind: 'wait' }
  | { kind: 'verified'; winners: ResultView[]; dissenters: ResultView[] }
  | { kind: 'escalate'; replicas: number }
  | { kind: 'unverifiable'; dissenters: ResultView[] };

export interface VerificationState {
  quorum: number;
  maxReplicas: number;
  /** Replicas wanted now. */
  replicas: number;
  /** Leases still out (could still return a result). */
  live: number;
}

/** Groups results whose output hashes are equal. Largest group first; ties by first arrival. */
export function groupByHash(results: readonly ResultView[]): Groups {
  const groups = new Map<string, ResultView[]>();
  for (const r of results) {
    const g = groups.get(r.outputHash);
    if (g) g.push(r);
    else groups.set(r.outputHash, [r]);
  }
  return [...groups.values()].sort((a, b) => b.length - a.length);
}

export function decide(groups: Groups, state: VerificationState): Decision {
  const results = groups.reduce((n, g) => n + g.length, 0);
  const leading = groups[0]?.length ?? 0;
  if (leading >= state.quorum) {
    const winners = groups[0]!;
    return { kind: 'verified', winners, dissenters: groups.slice(1).flat() };
  }
  const unassigned = Math.max(0, state.replicas - results - state.live);
  const stillPossible = state.maxReplicas - results; // results yet to come, at most
  if (leading + stillPossible < state.quorum) {
    return { kind: 'unverifiable', dissenters: groups.flat() };
  }
  const shortfall = state.quorum - leading - state.live - unassigned;
  if (shortfall > 0) {
    return { kind: 'escalate', replicas: state.replicas + shortfall };
  }
  return { kind: 'wait' };
}
