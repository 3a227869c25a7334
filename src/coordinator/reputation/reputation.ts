/**
 * Reputation: what the coordinator has seen of each operator, time-decayed.
 *
 *   uptime            share of time connected (sampled once a second)
 *   missed heartbeats frames that came later than 1.5 heartbeat intervals
 *   lease completion  leases that ended with a result / leases that ended
 *   releases          leases the operator gave back (they cost its standing, not the task's attempts)
 *   agreement         checked results that agreed with the verdict / checked results
 *   streak            consecutive agreeing checked results (adaptive replication)
 *   latency           lease-to-result time per EU (p50, p95), on the coordinator's clock
 *   resource use      decayed means of the durationMs, cpuMs, memoryMb reported with results
 *
 * Every figure is kept twice where a trend matters: with the long half-life
 * (`reputationHalfLifeMs`, the record) and with a short one (30 s, what is
 * happening now); the health policy compares the two. Only results checked
 * against other replicas count for agreement: a solo result was not checked,
 * so it neither builds nor breaks trust.
 *
 * The book lives in memory and is written to the store at most once a
 * second per operator (and at once when a dissent resets a streak), so
 * reputation costs the hot path a few additions per result, not a write.
 */
import {
  DecayingHistogram,
  DecayingMean,
  DecayingSum,
  type DecayingHistogramJson,
  type DecayingSumJson,
} from './decay.js';

/** Half-life of the short-window figures that show a trend. */
export const SHORT_HALF_LIFE_MS = 30_000;

export interface EuFigures {
  latency: DecayingHistogram;
  latencyShort: DecayingHistogram;
  duration: DecayingMean;
  cpu: DecayingMean;
  memory: DecayingMean;
}

export interface OperatorRecord {
  operatorId: string;
  streak: number;
  up: DecayingSum;
  seen: DecayingSum;
  missed: DecayingSum;
  missedShort: DecayingSum;
  completed: DecayingSum;
  lost: DecayingSum;
  completedShort: DecayingSum;
  lostShort: DecayingSum;
  released: DecayingSum;
  agree: DecayingSum;
  dissent: DecayingSum;
  perEu: Map<string, EuFigures>;
  /** Last uptime sample time. */
  sampledAt: number;
  /** Changed since the last write to the store. */
  dirty: boolean;
  /**
   * Only its uptime changed since the last write: written once UPTIME_WRITE_MS has passed since
   * `writtenAt`, not every second, so a large idle network does not rewrite every record each second.
   */
  uptimeDirty: boolean;
  /** When it was last written (staggered at first, so that the writes of many records spread out). */
  writtenAt: number;
  /** Must be written in this turn (a streak was reset). */
  urgent: boolean;
}

/**
 * How stale a record's persisted uptime may get. Uptime moves slowly (an hour's half-life) and only
 * feeds health and ranking; after a crash at most this much of it is lost, which the reconnect
 * after a restart does not count against anyone anyway.
 */
export const UPTIME_WRITE_MS = 60_000;

interface RecordJson {
  up: DecayingSumJson;
  seen: DecayingSumJson;
  missed: DecayingSumJson;
  completed: DecayingSumJson;
  lost: DecayingSumJson;
  /** Absent in records written before releases were counted. */
  rel?: DecayingSumJson;
  agree: DecayingSumJson;
  dissent: DecayingSumJson;
  eus: Record<
    string,
    {
      lat: DecayingHistogramJson;
      d: ReturnType<DecayingMean['toJSON']>;
      c: ReturnType<DecayingMean['toJSON']>;
      m: ReturnType<DecayingMean['toJSON']>;
    }
  >;
}

export class ReputationBook {
  private readonly records = new Map<string, OperatorRecord>();
  /** Network-wide latency per EU: what "slow" is measured against. */
  private readonly network = new Map<string, DecayingHistogram>();

  /** Some record is `urgent` (set with it; the flush clears it). */
  urgentPending = false;

  constructor(readonly halfLifeMs: number) {}

  get(operatorId: string): OperatorRecord | undefined {
    return this.records.get(operatorId);
  }

  all(): IterableIterator<OperatorRecord> {
    return this.records.values();
  }

  record(operatorId: string, now: number): OperatorRecord {
    let r = this.records.get(operatorId);
    if (!r) {
      r = this.fresh(operatorId, now);
      this.records.set(operatorId, r);
    }
    return r;
  }

  private fresh(operatorId: string, now: number, json?: RecordJson, streak = 0): OperatorRecord {
    const h = this.halfLifeMs;
    const r: OperatorRecord = {
      operatorId,
      streak,
      up: DecayingSum.from(json?.up, h),
      seen: DecayingSum.from(json?.seen, h),
      missed: DecayingSum.from(json?.missed, h),
      missedShort: new DecayingSum(SHORT_HALF_LIFE_MS, now),
      completed: DecayingSum.from(json?.completed, h),
      lost: DecayingSum.from(json?.lost, h),
      completedShort: new DecayingSum(SHORT_HALF_LIFE_MS, now),
      lostShort: new DecayingSum(SHORT_HALF_LIFE_MS, now),
      released: DecayingSum.from(json?.rel, h),
      agree: DecayingSum.from(json?.agree, h),
      dissent: DecayingSum.from(json?.dissent, h),
      perEu: new Map(),
      sampledAt: now,
      dirty: false,
      uptimeDirty: false,
      writtenAt: now - Math.random() * UPTIME_WRITE_MS,
      urgent: false,
    };
    for (const [euId, e] of Object.entries(json?.eus ?? {})) {
      r.perEu.set(euId, {
        latency: DecayingHistogram.from(e.lat, h),
        latencyShort: new DecayingHistogram(SHORT_HALF_LIFE_MS, now),
        duration: new DecayingMean(h, e.d),
        cpu: new DecayingMean(h, e.c),
        memory: new DecayingMean(h, e.m),
      });
    }
    return r;
  }

  /** Restores a record written by `serialize`. */
  restore(operatorId: string, streak: number, figures: string, now: number): void {
    let json: RecordJson | undefined;
    try {
      json = JSON.parse(figures) as RecordJson;
    } catch {
      json = undefined;
    }
    const r = this.fresh(operatorId, now, json, streak);
    this.records.set(operatorId, r);
    for (const [euId, e] of r.perEu) this.networkOf(euId).add(e.latency.quantile(0.5) ?? 1, now);
  }

  serialize(r: OperatorRecord): string {
    const eus: RecordJson['eus'] = {};
    for (const [euId, e] of r.perEu)
      eus[euId] = { lat: e.latency.toJSON(), d: e.duration.toJSON(), c: e.cpu.toJSON(), m: e.memory.toJSON() };
    const json: RecordJson = {
      up: r.up.toJSON(),
      seen: r.seen.toJSON(),
      missed: r.missed.toJSON(),
      completed: r.completed.toJSON(),
      lost: r.lost.toJSON(),
      rel: r.released.toJSON(),
      agree: r.agree.toJSON(),
      dissent: r.dissent.toJSON(),
      eus,
    };
    return JSON.stringify(json);
  }

  private networkOf(euId: string): DecayingHistogram {
    let h = this.network.get(euId);
    if (!h) {
      h = new DecayingHistogram(this.halfLifeMs);
      this.network.set(euId, h);
    }
    return h;
  }

  /** Median latency of an EU over every operator, or null before enough samples to mean anything. */
  networkP50(euId: string, now: number): number | null {
    const h = this.network.get(euId);
    if (!h || h.count(now) < 10) return null;
    return h.quantile(0.5);
  }

  networkP95(euId: string, now: number): number | null {
    const h = this.network.get(euId);
    if (!h || h.count(now) < 10) return null;
    return h.quantile(0.95);
  }

  // ---- what happened ------------------------------------------------------------

  /** A result came back for a lease: the lease completed, with this latency and these measurements. */
  result(
    operatorId: string,
    euId: string,
    latencyMs: number,
    metrics: { durationMs: number; cpuMs?: number; memoryMb?: number },
    now: number,
  ): void {
    const r = this.record(operatorId, now);
    r.completed.add(1, now);
    r.completedShort.add(1, now);
    let e = r.perEu.get(euId);
    if (!e) {
      const h = this.halfLifeMs;
      e = {
        latency: new DecayingHistogram(h, now),
        latencyShort: new DecayingHistogram(SHORT_HALF_LIFE_MS, now),
        duration: new DecayingMean(h),
        cpu: new DecayingMean(h),
        memory: new DecayingMean(h),
      };
      r.perEu.set(euId, e);
    }
    e.latency.add(latencyMs, now);
    e.latencyShort.add(latencyMs, now);
    e.duration.add(metrics.durationMs, now);
    if (metrics.cpuMs !== undefined) e.cpu.add(metrics.cpuMs, now);
    if (metrics.memoryMb !== undefined) e.memory.add(metrics.memoryMb, now);
    this.networkOf(euId).add(latencyMs, now);
    r.dirty = true;
  }

  /** A lease ended without a result through the operator's fault (or was moved away from it); `weight` counts it as
   * several. */
  leaseLost(operatorId: string, now: number, weight = 1): void {
    const r = this.record(operatorId, now);
    r.lost.add(weight, now);
    r.lostShort.add(weight, now);
    r.dirty = true;
  }

  /**
   * The operator gave a lease back. Written at once: a releaser must not
   * shed its record by outliving the flush with a coordinator restart.
   */
  leaseReleased(operatorId: string, now: number): void {
    const r = this.record(operatorId, now);
    r.released.add(1, now);
    r.dirty = true;
    r.urgent = true;
    this.urgentPending = true;
  }

  /** A checked result agreed with the verdict. */
  agreed(operatorId: string, now: number): void {
    const r = this.record(operatorId, now);
    r.agree.add(1, now);
    r.streak += 1;
    r.dirty = true;
  }

  /** A checked result dissented: the streak starts again from zero, and is written at once. */
  dissented(operatorId: string, now: number): void {
    const r = this.record(operatorId, now);
    r.dissent.add(1, now);
    r.streak = 0;
    r.dirty = true;
    r.urgent = true;
    this.urgentPending = true;
  }

  /** A frame arrived `gapMs` after the previous one; heartbeats are due every `intervalMs`. */
  heartbeat(operatorId: string, gapMs: number, intervalMs: number, now: number): void {
    if (gapMs <= intervalMs * 1.5) return;
    const missed = Math.max(1, Math.round(gapMs / intervalMs) - 1);
    const r = this.record(operatorId, now);
    r.missed.add(missed, now);
    r.missedShort.add(missed, now);
    r.dirty = true;
  }

  /** Samples connection state for uptime: the time since the last sample counts as up when connected. */
  sampleUptime(operatorId: string, connected: boolean, now: number): void {
    const r = this.record(operatorId, now);
    const dt = Math.max(0, now - r.sampledAt);
    r.sampledAt = now;
    if (dt === 0) return;
    r.seen.add(dt, now);
    if (connected) r.up.add(dt, now);
    r.uptimeDirty = true;
  }

  // ---- figures --------------------------------------------------------------------

  uptime(r: OperatorRecord, now: number): number {
    const seen = r.seen.value(now);
    return seen > 0 ? r.up.value(now) / seen : 1;
  }

  /**
   * Completion with one completed lease as prior, so a newcomer starts near 1
   * and one failure does not sink it. A release counts like a lost lease here.
   */
  leaseCompletion(r: OperatorRecord, now: number): number {
    const done = r.completed.value(now);
    return (done + 1) / (done + r.lost.value(now) + r.released.value(now) + 1);
  }

  agreement(r: OperatorRecord, now: number): number {
    const agree = r.agree.value(now);
    return (agree + 1) / (agree + r.dissent.value(now) + 1);
  }

  /** How fast against the network, 0..1: the mean over its EUs of network p50 / own p50, capped at 1. */
  speed(r: OperatorRecord, now: number): number {
    let sum = 0;
    let n = 0;
    for (const [euId, e] of r.perEu) {
      const net = this.networkP50(euId, now);
      const own = e.latency.quantile(0.5);
      if (net === null || own === null) continue;
      sum += Math.min(1, net / own);
      n += 1;
    }
    return n > 0 ? sum / n : 1;
  }
}
