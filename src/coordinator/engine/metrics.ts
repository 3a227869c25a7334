/**
 * The coordinator's figures, for Prometheus (`GET /metrics`) and for
 * `GET /v1/stats`.
 *
 * Scheduling latency is the time from the moment a task could have been
 * placed (it was ready AND an eligible operator had a free slot) until its
 * assignment left the coordinator (after the commit). Queueing for capacity
 * does not count: a 100,000-task backlog on a saturated network is not slow
 * scheduling. It is what a developer feels as dispatch delay and what the
 * scale benchmarks hold to a 50 ms p99.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency samples kept for percentiles in /v1/stats. */
const WINDOW = 20_000;

export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly schedulingLatency = new Histogram({
    name: 'corten_scheduling_latency_seconds',
    help: 'From task ready and operator slot free to the assignment sent',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly turnSeconds = new Histogram({
    name: 'corten_engine_turn_seconds',
    help: 'Duration of one engine turn (apply, schedule, commit, send)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'corten_store_commit_seconds',
    help: 'Duration of one store commit (one engine turn)',
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly commitChanges = new Histogram({
    name: 'corten_store_commit_changes',
    help: 'Writes (rows and events) in one store commit',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'corten_events_total',
    help: 'Events committed, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly admissionHeld = new Counter({
    name: 'corten_admission_held_turns_total',
    help: 'Turns that handed out no lease because results were waiting to be read (engine behind)',
    registers: [this.registry],
  });
  readonly operatorsOnline = new Gauge({
    name: 'corten_operators_online',
    help: 'Operators connected',
    registers: [this.registry],
  });
  readonly queued = new Gauge({
    name: 'corten_tasks_queued',
    help: 'Tasks waiting for an operator',
    registers: [this.registry],
  });
  readonly openTasks = new Gauge({
    name: 'corten_tasks_open',
    help: 'Tasks not yet verified or failed',
    registers: [this.registry],
  });

  private readonly samples = new Float64Array(WINDOW);
  private sampleCount = 0;

  recordCommit(changes: number, ms: number): void {
    this.commitSeconds.observe(ms / 1000);
    this.commitChanges.observe(changes);
  }

  recordSchedulingLatency(ms: number): void {
    this.schedulingLatency.observe(ms / 1000);
    this.samples[this.sampleCount % WINDOW] = ms;
    this.sampleCount += 1;
  }

  /** Percentiles over the most recent samples. */
  scheduling(): { count: number; p50Ms: number; p99Ms: number; maxMs: number } {
    const n = Math.min(this.sampleCount, WINDOW);
    if (n === 0) return { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const sorted = Float64Array.from(this.samples.subarray(0, n)).sort();
    const at = (p: number) => sorted[Math.min(n - 1, Math.ceil(p * n) - 1)]!;
    return { count: this.sampleCount, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(sorted[n - 1]!) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
