/**
 * Each operator's standing over time, for the dashboard's reputation charts (GET
 * /v1/operators/:id/history): samples of its score, uptime, agreement, lease completion, stake
 * and status. Taken on the trust tick, never on the per-task path:
 *
 *   checked    at once when first seen, then at most once every HISTORY_INTERVAL_MS per operator (a
 *              map lookup otherwise), the second check put off by a random part of an interval so
 *              that many operators seen in one tick (a restart) are not all sampled in the same turns
 *   written    only when the figures, rounded as the API shows them, differ from the last
 *              sample's: an idle operator writes nothing
 *   pruned     every interval, rows older than HISTORY_RETENTION_MS, by one indexed delete: about
 *              an interval's rows, at most one an operator (the first prune after a long stop
 *              takes what aged meanwhile)
 *
 * So an operator has at most 1,441 rows. The last samples live in memory only: after a restart
 * each operator is sampled on its first tick, which also marks the restart in its chart.
 */
import type { OperatorSampleRow } from '../../store/index.js';
import type { Turn } from '../memory/index.js';

/** One sample a minute: a day of a chart is 1,440 points, which uPlot draws at once. */
export const HISTORY_INTERVAL_MS = 60_000;
/** A day of history: what an operator's owner looks back on; older standing is in the event log. */
export const HISTORY_RETENTION_MS = 24 * 60 * 60_000;
/**
 * Pruning every interval keeps each delete small: an hourly one would delete an hour's rows in one
 * commit (60,000 with 1,000 busy operators, about a second on SQLite, holding up the turn).
 */
const PRUNE_EVERY_MS = HISTORY_INTERVAL_MS;

export type SampleFigures = Omit<OperatorSampleRow, 'operatorId' | 'ts'>;

export class ReputationHistory {
  /** Per operator: when it was last checked, and the figures of its last sample. */
  private readonly last = new Map<string, { at: number; figures: string }>();
  private lastPrune = Number.NEGATIVE_INFINITY;

  /** Samples the operator when its interval has passed; `figures` is computed only then. */
  consider(turn: Turn, operatorId: string, figures: () => SampleFigures): void {
    const last = this.last.get(operatorId);
    if (last && turn.now - last.at < HISTORY_INTERVAL_MS) return;
    const now = figures();
    const key = JSON.stringify(now);
    const at = last ? turn.now : turn.now + Math.random() * HISTORY_INTERVAL_MS;
    this.last.set(operatorId, { at, figures: key });
    if (last?.figures === key) return;
    turn.changes.push({ op: 'operator_sample.insert', row: { operatorId, ts: turn.now, ...now } });
  }

  prune(turn: Turn): void {
    if (turn.now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = turn.now;
    turn.changes.push({ op: 'operator_sample.prune', before: turn.now - HISTORY_RETENTION_MS });
  }
}
