/**
 * What the API shows of an operator's standing: the headline figures in the
 * operator list, and the full reputation view. Read-only views over Trust.
 */
import { stakeAccount, type ReputationView } from '../../protocol/index.js';
import { assessHealth, type OperatorRecord } from '../reputation/index.js';
import type { Trust } from './trust.js';

export interface OperatorSummary {
  stake: number;
  eligible: boolean;
  reputation: { score: number; uptime: number; leaseCompletion: number; agreement: number; streak: number };
  earned: number;
  slashed: number;
  slashes: number;
  latencyMs: number | null;
}

export function operatorSummary(trust: Trust, operatorId: string, now: number): OperatorSummary {
  const book = trust.reputation;
  const r = book.get(operatorId);
  return {
    stake: trust.ledger.balance(stakeAccount(operatorId)),
    eligible: trust.eligible(operatorId),
    reputation: {
      score: round(trust.scoreOf(operatorId, now)),
      uptime: round(r ? book.uptime(r, now) : 1),
      leaseCompletion: round(r ? book.leaseCompletion(r, now) : 1),
      agreement: round(r ? book.agreement(r, now) : 1),
      streak: r?.streak ?? 0,
    },
    ...trust.economics.totals.of(operatorId),
    latencyMs: r ? medianLatency(r, now) : null,
  };
}

/** The per-EU medians of an operator's result latency, weighted by each EU's (decayed) sample count. */
function medianLatency(r: OperatorRecord, now: number): number | null {
  let weight = 0;
  let sum = 0;
  for (const e of r.perEu.values()) {
    const p50 = e.latency.quantile(0.5);
    const n = e.latency.count(now);
    if (p50 === null || n <= 0) continue;
    weight += n;
    sum += p50 * n;
  }
  return weight > 0 ? Math.round(sum / weight) : null;
}

export function reputationView(trust: Trust, operatorId: string, now: number): ReputationView {
  const book = trust.reputation;
  const r = book.get(operatorId);
  const health = r ? assessHealth(book, r, now) : { degraded: false, reasons: [] };
  const latency = r
    ? [...r.perEu].map(([euId, e]) => ({
        euId,
        samples: round(e.latency.count(now)),
        p50Ms: round(e.latency.quantile(0.5) ?? 0),
        p95Ms: round(e.latency.quantile(0.95) ?? 0),
        durationMs: round(e.duration.mean(now) ?? 0),
        cpuMs: nullableRound(e.cpu.mean(now)),
        memoryMb: nullableRound(e.memory.mean(now)),
      }))
    : [];
  return {
    operatorId,
    halfLifeMs: book.halfLifeMs,
    uptime: round(r ? book.uptime(r, now) : 1),
    missedHeartbeats: round(r ? r.missed.value(now) : 0),
    leaseCompletion: round(r ? book.leaseCompletion(r, now) : 1),
    agreement: round(r ? book.agreement(r, now) : 1),
    streak: r?.streak ?? 0,
    dissents: round(r ? r.dissent.value(now) : 0),
    latency,
    score: round(trust.scoreOf(operatorId, now)),
    health: { degraded: health.degraded || trust.isDegraded(operatorId), reasons: health.reasons },
  };
}

const round = (n: number): number => Math.round(n * 1000) / 1000;
const nullableRound = (n: number | null): number | null => (n === null ? null : round(n));
