/**
 * Refused results and frames, counted instead of logged one by one.
 *
 * A refusal costs the sender nothing, so one event per refusal let a single
 * operator write tens of thousands of events a second. Instead each refusal
 * adds to its operator's tally, per reason; the tally is written as one
 * `results.refused` event per operator (counts by reason, plus a few samples)
 * at the end of the turn, at most once per FLUSH_INTERVAL_MS per operator.
 * The first refusal of a quiet operator is therefore recorded at once, and a
 * flood costs the log one event a second per operator.
 *
 * An operator refused more than FLOOD_LIMIT times within one FLOOD_WINDOW_MS
 * is flooding: the engine disconnects it and it loses standing.
 *
 *   quiet ──refusal──▶ pending ──flush (≥ 1 s since the last)──▶ quiet
 *                         │
 *                         └─ > FLOOD_LIMIT in the window ──▶ flooding (disconnect)
 */
import type { EventMap } from '../../protocol/index.js';

/** Shortest gap between two `results.refused` events of one operator: bounds the log's growth under a flood. */
export const FLUSH_INTERVAL_MS = 1000;
/** Window over which refusals are counted towards a flood. */
export const FLOOD_WINDOW_MS = 10_000;
/**
 * Refusals in one window that mark a flood. An honest agent is refused only
 * for results that lost a race with a lease expiry or a verdict, at most the
 * leases it held (its maxConcurrent); a thousand in ten seconds is not that.
 */
export const FLOOD_LIMIT = 1000;
/** Refusals kept verbatim in each event, so a reader sees examples behind the counts. */
const SAMPLES = 5;

type Sample = EventMap['results.refused']['sample'][number];

interface OperatorTally {
  /** Counts by code since the last flush. */
  pending: Map<string, number>;
  pendingTotal: number;
  sample: Sample[];
  /** When the first pending refusal came. */
  since: number;
  lastFlush: number;
  windowStart: number;
  inWindow: number;
}

export class RefusalTally {
  private readonly operators = new Map<string, OperatorTally>();

  /** Counts one refusal; true when it makes the operator a flooder (once per window). */
  record(operatorId: string, now: number, sample: Sample): boolean {
    let t = this.operators.get(operatorId);
    if (!t) {
      t = {
        pending: new Map(),
        pendingTotal: 0,
        sample: [],
        since: now,
        lastFlush: -Infinity,
        windowStart: now,
        inWindow: 0,
      };
      this.operators.set(operatorId, t);
    }
    if (t.pendingTotal === 0) t.since = now;
    t.pending.set(sample.code, (t.pending.get(sample.code) ?? 0) + 1);
    t.pendingTotal += 1;
    if (t.sample.length < SAMPLES) t.sample.push(sample);
    if (now - t.windowStart >= FLOOD_WINDOW_MS) {
      t.windowStart = now;
      t.inWindow = 0;
    }
    t.inWindow += 1;
    return t.inWindow === FLOOD_LIMIT + 1;
  }

  /**
   * The events due now: operators with pending refusals whose last event is
   * at least FLUSH_INTERVAL_MS old, or every pending one when `all` (the
   * operator is leaving, and its last counts go with it).
   */
  due(now: number, only?: string): EventMap['results.refused'][] {
    const out: EventMap['results.refused'][] = [];
    for (const [operatorId, t] of this.operators) {
      if (t.pendingTotal === 0) {
        // Nothing pending and the window is over: forget the operator.
        if (now - t.windowStart >= FLOOD_WINDOW_MS) this.operators.delete(operatorId);
        continue;
      }
      if (only !== undefined ? only !== operatorId : now - t.lastFlush < FLUSH_INTERVAL_MS) continue;
      out.push({
        operatorId,
        total: t.pendingTotal,
        counts: Object.fromEntries(t.pending),
        sample: t.sample,
        since: t.since,
      });
      t.pending = new Map();
      t.pendingTotal = 0;
      t.sample = [];
      t.lastFlush = now;
    }
    return out;
  }
}
