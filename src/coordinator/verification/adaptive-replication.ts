/**
 * Adaptive replication (after BOINC): an operator with a clean recent record
 * may run a task alone.
 *
 *   streak N   consecutive checked results that agreed with the verdict
 *   trusted    N ≥ minStreak × 2^k, where k is the operator's decayed count
 *              of dissents: every dissent in its record doubles the streak
 *              it must rebuild before it is trusted again, so an operator
 *              that lies now and then is rarely trusted at all
 *   solo       a trusted operator's task runs on it alone with probability
 *              1 − 1/N (BOINC's rule: trust grows with the record), unless
 *              the task is drawn for a spot check (probability
 *              `spotCheckRate`), which replicates it as usual
 *
 * The decision is made when the task's first lease is made, so the
 * operator cannot tell a solo task from a replicated one: it sees the same
 * assignment either way. A dissent resets the streak to 0 (reputation.ts)
 * and sends the operator's solo tasks still running back to full
 * replication; a lost lease does the same for its task. Only checked
 * (replicated) results build a streak.
 */

export interface AdaptiveOptions {
  enabled: boolean;
  /** Streak at which an operator may first be trusted (BOINC uses 10). */
  minStreak: number;
  /** Share of would-be solo tasks replicated anyway. */
  spotCheckRate: number;
  /** Uniform [0, 1) source; tests pass a seeded one. */
  random?: () => number;
}

export type Replication = 'solo' | 'spot-check' | 'replicate';

export class AdaptiveReplication {
  private readonly random: () => number;
  /** Decisions made, for the API and the benchmark. */
  readonly counts = { solo: 0, spotCheck: 0, replicate: 0 };

  constructor(readonly options: AdaptiveOptions) {
    this.random = options.random ?? Math.random;
  }

  /** The streak an operator with `dissents` (decayed) in its record needs before it is trusted. */
  requiredStreak(dissents: number): number {
    return this.options.minStreak * 2 ** Math.min(20, Math.round(dissents));
  }

  /** Probability that a task goes to this operator alone (before spot checks). */
  trust(streak: number, dissents: number): number {
    if (!this.options.enabled || streak < Math.max(1, this.requiredStreak(dissents))) return 0;
    return 1 - 1 / streak;
  }

  decide(streak: number, dissents: number): Replication {
    const p = this.trust(streak, dissents);
    if (p === 0 || this.random() >= p) {
      this.counts.replicate += 1;
      return 'replicate';
    }
    if (this.random() < this.options.spotCheckRate) {
      this.counts.spotCheck += 1;
      return 'spot-check';
    }
    this.counts.solo += 1;
    return 'solo';
  }
}
