/**
 * Scale: how the coordinator's CPU, memory and scheduling latency grow with
 * the number of operators (100, 300, 1,000, 5,000) and the size of the run
 * (10k to 100k tasks). Each row is one `corten simulate` run with no faults: a real
 * coordinator process, real agents over real WebSockets in a few host
 * processes, executions from the cost model, quorum 2.
 *
 * Load: the same offered rate in every row (RATE tasks/s, 2 × RATE
 * executions/s), well inside what 100 operators can run (4 slots each at a
 * 100 ms median), so rows differ only in the network's size and the run's
 * length. On this 2-core machine the agents, the client and the coordinator
 * share the cores; 400 tasks/s is where 1,000 operators still see a 50 ms
 * scheduling p99. The target: 1,000 operators and 100k tasks with scheduling
 * latency p99 under 50 ms. A 100k row takes about four minutes.
 *
 *   npm run bench -- scale
 *   CORTEN_SCALE=1000x100000 npm run bench -- scale     (only these rows)
 *   CORTEN_SCALE_RATE=600 npm run bench -- scale         (another offered rate)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, parseScenario, planScenario, runSimulation, type SimReport } from '../src/sim/index.js';
import { fmt, heading, line, versus } from './support.js';

/** Offered load, tasks/s (see above). */
const RATE = Number(process.env.CORTEN_SCALE_RATE ?? 400);

export interface ScaleRow {
  operators: number;
  tasks: number;
  rate: number;
  report: SimReport;
  /** Other processes' load when the row started (1-minute load average). */
  loadBefore: number;
}

function rows(): [number, number][] {
  const spec = process.env.CORTEN_SCALE;
  if (spec) return spec.split(',').map((r) => r.split('x').map(Number) as [number, number]);
  const out: [number, number][] = [];
  for (const tasks of [10_000, 100_000]) for (const operators of [100, 300, 1000]) out.push([operators, tasks]);
  // The network the coordinator is sized for: 5,000 operators on one coordinator.
  out.push([5000, 12_000], [5000, 100_000]);
  return out;
}

export async function scaleBench(): Promise<ScaleRow[]> {
  heading('scale: coordinator CPU, memory and scheduling latency as the network grows (no faults, quorum 2)');
  line(`  offered load ${fmt(RATE)} tasks/s (${fmt(2 * RATE)} executions/s) in every row`);
  line(
    '  operators  tasks    verified/s  run s  coord cores mean/peak  coord µs/task  coord RSS peak  sched p50  sched p99  ≤50 ms   turn p99   load before',
  );
  const out: ScaleRow[] = [];
  for (const [operators, tasks] of rows()) {
    const scenario = parseScenario({
      name: `scale-${operators}x${tasks}`,
      network: { operators, regions: 6, maxConcurrent: 4 },
      cost: { medianMs: 100, sigma: 0.5 },
      eus: [{ name: 'sim-work', quorum: 2, maxReplicas: 5, timeoutMs: 10_000 }],
      load: { tasks, rate: RATE },
      settleTimeout: '60s',
    });
    const plan = planScenario(scenario);
    const dir = mkdtempSync(join(tmpdir(), 'corten-bench-scale-'));
    const loadBefore = loadavg()[0]!;
    try {
      const report = buildReport(await runSimulation(plan, { dir }));
      out.push({ operators, tasks, rate: plan.load.rate, report, loadBefore });
      const c = report.coordinator;
      const s = c.scheduling;
      line(
        `  ${pad(fmt(operators), 9)}  ${pad(fmt(tasks), 7)}  ${pad(fmt(report.throughput.verifiedPerSecond), 10)}  ` +
          `${pad(fmt(report.durationS, 1), 5)}  ${pad(`${fmt(c.meanCores, 2)} / ${fmt(c.peakCores, 2)}`, 22)}  ` +
          `${pad(fmt((c.cpuSeconds / Math.max(1, report.tasks.verified)) * 1e6), 13)}  ${pad(`${fmt(c.peakRssMb)} MB`, 14)}  ` +
          `${pad(ms(s?.p50Ms, s?.maxBucketMs), 9)}  ${pad(ms(s?.p99Ms, s?.maxBucketMs), 9)}  ` +
          `${pad(s?.within50Ms != null ? `${fmt(s.within50Ms * 100, 2)}%` : 'n/a', 7)}  ${pad(ms(c.turns?.p99Ms, c.turns?.maxBucketMs), 9)}  ${fmt(loadBefore, 1)}`,
      );
      if (report.tasks.lost > 0) line(`    warning: ${report.tasks.lost} tasks lost`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const goal = out.find((r) => r.operators === 1000 && r.tasks === 100_000);
  const sched = goal?.report.coordinator.scheduling;
  if (goal && sched) {
    const p99 = sched.p99Ms ?? Infinity;
    line(
      `  1,000 operators × 100k tasks: scheduling p99 ${ms(sched.p99Ms, sched.maxBucketMs)} (${versus(p99, 50, false)} ms)`,
    );
  }
  line(
    '  scheduling latency: from a task being ready and a slot free to its assignment sent, as the coordinator measures it',
  );
  line(
    '  (p50/p99 are histogram bucket bounds over the whole run); turn: one engine turn (apply, schedule, commit, send);',
  );
  line(
    '  "load before" is the machine\'s 1-minute load average when the row began (other work on the machine skews a row)',
  );
  return out;
}

/** A histogram percentile: null means beyond its largest bucket. */
function ms(v: number | null | undefined, maxBucket: number | undefined): string {
  if (v === undefined) return 'n/a';
  return v === null ? `>${fmt(maxBucket ?? NaN)} ms` : `${fmt(v, 1)} ms`;
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}
