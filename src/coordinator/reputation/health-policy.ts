/**
 * The proactive policy: reading an operator's short-window figures against
 * its record and against the network, decide whether it is degrading before
 * it fails outright.
 *
 *   missed heartbeats  2 or more late or missing heartbeats in the short window
 *                      (one late frame on a busy link is noise; a run of
 *                      them is a machine that is about to drop out)
 *   failing leases     2 or more leases lost in the short window, and at least
 *                      half of the leases that ended there
 *   rising latency     an EU's short-window p50 is over twice the
 *                      operator's own long p50, or over three times the
 *                      network's p50, and above 50 ms (below that, timing
 *                      noise on a busy host dominates)
 *
 * A degraded operator gets less work (half its slots) and its leases that
 * run past what the network needs for the EU are moved early (expired with
 * reason `proactive`). Repeated dissent is not degradation but dishonesty or
 * a broken machine: it suspends the operator (see `shouldSuspend`).
 */
import { SHORT_HALF_LIFE_MS, type OperatorRecord, type ReputationBook } from './reputation.js';

export interface Health {
  degraded: boolean;
  reasons: string[];
}

/**
 * Short-window figures below these are noise. "Two recent ones" reads as 1.5:
 * two events a few seconds old have already decayed a little below 2.
 */
const MISSED_HEARTBEATS = 1.5;
const LOST_LEASES = 1.5;
const LOST_SHARE = 0.5;
const LATENCY_FLOOR_MS = 50;

export function assessHealth(book: ReputationBook, r: OperatorRecord, now: number): Health {
  const reasons: string[] = [];
  const missed = r.missedShort.value(now);
  if (missed >= MISSED_HEARTBEATS)
    reasons.push(`missed heartbeats: ${missed.toFixed(1)} in the last ${SHORT_HALF_LIFE_MS / 1000} s`);
  const lost = r.lostShort.value(now);
  const done = r.completedShort.value(now);
  if (lost >= LOST_LEASES && lost / (lost + done) >= LOST_SHARE) {
    reasons.push(`failing leases: ${lost.toFixed(1)} lost against ${done.toFixed(1)} completed lately`);
  }
  for (const [euId, e] of r.perEu) {
    if (e.latencyShort.count(now) < 3) continue;
    const recent = e.latencyShort.quantile(0.5)!;
    if (recent < LATENCY_FLOOR_MS) continue;
    const own = e.latency.quantile(0.5);
    const net = book.networkP50(euId, now);
    if ((own !== null && recent > 2 * own) || (net !== null && recent > 3 * net)) {
      reasons.push(
        `latency rising on ${euId.slice(0, 15)}: p50 ${Math.round(recent)} ms lately, against ${Math.round(own ?? 0)} ms usually and ${Math.round(net ?? 0)} ms across the network`,
      );
    }
  }
  return { degraded: reasons.length > 0, reasons };
}

/**
 * A decayed count of n events reads a little below n as soon as the first of
 * them ages: three dissents a second apart read 2.9994 with an hour's
 * half-life. Counts are compared with this slack, so a threshold of 3 means
 * three recent events, not a fourth one (or three in the same millisecond).
 */
export const RECENT_COUNT_SLACK = 0.5;

/** True when a decayed count holds at least `n` recent events. */
export function atLeastRecent(decayed: number, n: number): boolean {
  return decayed >= n - RECENT_COUNT_SLACK;
}

/**
 * Repeated dissent: at least `threshold` recent dissents in the decayed record
 * and at least 10% of its checked results. The share keeps an honest operator
 * with a long record from being suspended by a rare disagreement (semantic
 * verification of free text can misjudge one now and then).
 */
export function shouldSuspend(r: OperatorRecord, threshold: number, now: number): string | null {
  if (threshold <= 0) return null;
  const dissent = r.dissent.value(now);
  const agree = r.agree.value(now);
  if (atLeastRecent(dissent, threshold) && dissent / (dissent + agree) >= 0.1) {
    return `repeated dissent: ${dissent.toFixed(1)} dissenting results against ${agree.toFixed(1)} agreeing`;
  }
  return null;
}

/**
 * The scheduler's score of an operator, 0..1 (higher is better): agreement
 * weighs most (a wrong result costs a replica and trust), then completing
 * leases, staying up, stake at risk, and speed.
 */
export function score(
  book: ReputationBook,
  r: OperatorRecord | undefined,
  stakeWeight: number,
  degraded: boolean,
  now: number,
): number {
  const agreement = r ? book.agreement(r, now) : 1;
  const completion = r ? book.leaseCompletion(r, now) : 1;
  const uptime = r ? book.uptime(r, now) : 1;
  const speed = r ? book.speed(r, now) : 1;
  const s = 0.35 * agreement + 0.2 * completion + 0.15 * uptime + 0.15 * stakeWeight + 0.15 * speed;
  return degraded ? s / 2 : s;
}
