/**
 * Watches the coordinator process during a run, once a second: the CPU it
 * uses (in cores), its resident memory, and what it reports in
 * `GET /v1/stats` (queue, open tasks, operators online, scheduling latency).
 * At the end it reads the scheduling-latency histogram of `GET /metrics`,
 * which covers the whole run rather than the recent window of /v1/stats.
 */
import type { CortenClient } from '../client/index.js';
import { cpuSeconds, memoryMb } from './process-stats.js';

export interface CoordinatorSample {
  /** ms since the run's start. */
  t: number;
  cpuCores: number;
  rssMb: number;
  queued: number;
  open: number;
  online: number;
  /** Scheduling latency over the coordinator's recent window, when it reports one. */
  schedulingP50Ms: number | null;
  schedulingP99Ms: number | null;
}

export interface SchedulingFigures {
  /** Assignments measured. */
  count: number;
  /** null: beyond the histogram's largest bucket (see maxBucketMs). */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Where the figures come from. */
  source: string;
  /** Share of assignments sent within 50 ms of being placeable (from the histogram). */
  within50Ms: number | null;
  /**
   * The histogram's largest finite bucket, ms: a percentile beyond it is
   * reported as null (JSON) and shown as "> this".
   */
  maxBucketMs?: number;
}

/** How often the watch samples. */
const SAMPLE_MS = 1000;

export class CoordinatorWatch {
  readonly samples: CoordinatorSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastCpu: number;
  private lastAt: number;
  private cpuStart: number;

  constructor(
    private readonly pid: number,
    private readonly client: CortenClient,
    private readonly t0: number,
  ) {
    this.lastCpu = this.cpuStart = cpuSeconds(pid);
    this.lastAt = performance.now();
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** CPU seconds the coordinator used since the watch began. */
  cpuUsed(): number {
    return cpuSeconds(this.pid) - this.cpuStart;
  }

  peakRssMb(): number {
    return memoryMb(this.pid).peak;
  }

  private async sample(): Promise<void> {
    const now = performance.now();
    const cpu = cpuSeconds(this.pid);
    const cores = (cpu - this.lastCpu) / ((now - this.lastAt) / 1000);
    this.lastCpu = cpu;
    this.lastAt = now;
    const sample: CoordinatorSample = {
      t: Date.now() - this.t0,
      cpuCores: cores,
      rssMb: memoryMb(this.pid).rss,
      queued: 0,
      open: 0,
      online: 0,
      schedulingP50Ms: null,
      schedulingP99Ms: null,
    };
    try {
      const stats = await this.client.stats();
      sample.queued = stats.tasks.queued;
      sample.open = stats.tasks.open;
      sample.online = stats.operators.online;
      const scheduling = (stats as { scheduling?: { count: number; p50Ms: number; p99Ms: number } }).scheduling;
      if (scheduling && scheduling.count > 0) {
        sample.schedulingP50Ms = scheduling.p50Ms;
        sample.schedulingP99Ms = scheduling.p99Ms;
      }
    } catch {
      // A busy or restarting coordinator may miss a sample; the next one comes in a second.
    }
    this.samples.push(sample);
  }

  /**
   * Whole-run figures from the coordinator's Prometheus histograms: the
   * scheduling latency (else /v1/stats' recent window) and the duration of
   * its engine turns (what the latency is mostly made of under load).
   */
  async finalFigures(): Promise<{ scheduling: SchedulingFigures | null; turns: SchedulingFigures | null }> {
    let text = '';
    try {
      const response = await fetch(`${this.client.baseUrl}/metrics`);
      if (response.ok) text = await response.text();
    } catch {
      // no /metrics: fall back to /v1/stats below
    }
    const turns = fromHistogram(text, 'corten_engine_turn_seconds');
    if (turns) turns.source = 'GET /metrics corten_engine_turn_seconds (bucket upper bounds, whole run)';
    return { scheduling: fromHistogram(text) ?? (await this.statsScheduling()), turns };
  }

  private async statsScheduling(): Promise<SchedulingFigures | null> {
    try {
      const stats = (await this.client.stats()) as {
        scheduling?: { count: number; p50Ms: number; p99Ms: number; maxMs?: number };
      };
      if (!stats.scheduling || stats.scheduling.count === 0) return null;
      const s = stats.scheduling;
      return {
        count: s.count,
        p50Ms: s.p50Ms,
        p99Ms: s.p99Ms,
        maxMs: s.maxMs ?? null,
        source: 'GET /v1/stats (recent window)',
        within50Ms: null,
      };
    } catch {
      return null;
    }
  }
}

/**
 * Percentiles from a Prometheus histogram: the upper bound of the bucket
 * where the cumulative count crosses the rank (an upper estimate).
 */
export function fromHistogram(text: string, name = 'corten_scheduling_latency_seconds'): SchedulingFigures | null {
  const buckets: { le: number; count: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = line.match(/le="([^"]+)"/)?.[1];
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le !== undefined) buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count });
  }
  if (buckets.length === 0) return null;
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets[buckets.length - 1]!.count;
  if (total === 0) return null;
  const finite = buckets.filter((b) => Number.isFinite(b.le));
  const maxBucketMs = (finite[finite.length - 1]?.le ?? 0) * 1000;
  // Beyond the largest finite bucket the histogram cannot tell: null, shown as "> maxBucketMs".
  const at = (p: number) => {
    const le = buckets.find((b) => b.count >= p * total)?.le ?? Infinity;
    return Number.isFinite(le) ? le * 1000 : null;
  };
  const within = buckets.find((b) => b.le === 0.05)?.count;
  return {
    count: total,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: null,
    source: 'GET /metrics histogram (bucket upper bounds, whole run)',
    within50Ms: within !== undefined ? within / total : null,
    maxBucketMs,
  };
}
