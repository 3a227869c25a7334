/**
 * Each operator's standing over time, for the dashboard's reputation charts (GET
 * /v1/operators/:id/history): samples of its score, uptime, agreement, lease completion, stake
 * and status. Taken on the trust tick, never on the per-task path:
 *
 *   checked    at most once every HISTORY_INTERVAL_MS per operator (a map lookup otherwise)
 *   written    only when the figures, rounded as the API shows them, differ from the last
 *              sample's: an idle operator writes nothing
 *   pruned     every PRUNE_EVERY_MS, rows older than HISTORY_RETENTION_MS, by one indexed delete
 *
 * So an operator has at most 1,440 rows. The last samples live in memory only: after a restart
 * each operator is sampled on its first tick, which also marks the restart in its chart.
 */
import type { OperatorSampleRow } from '../../store/index.js';
import type { Turn } from '../memory/index.js';

/** One sample a minute: a day of a chart is 1,440 points, which uPlot draws at once. */
export const HISTORY_INTERVAL_MS = 60_000;
/** A day of history: what an operator's owner looks back on; older standing is in the event log. */
export const HISTORY_RETENTION_MS = 24 * 60 * 60_000;
/** Pruning once an hour keeps at most an hour's rows past the retention. */
const PRUNE_EVERY_MS = 60 * 60_000;

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
    this.last.set(operatorId, { at: turn.now, figures: key });
    if (last?.figures === key) return;
    turn.changes.push({ op: 'operator_sample.insert', row: { operatorId, ts: turn.now, ...now } });
  }

  prune(turn: Turn): void {
    if (turn.now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = turn.now;
    turn.changes.push({ op: 'operator_sample.prune', before: turn.now - HISTORY_RETENTION_MS });
  }
}
