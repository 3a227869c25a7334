/**
 * Scale: how the coordinator's CPU, memory and scheduling latency grow with
 * the number of operators (500, 1,000, 2,500, 5,000) and with the size of the
 * run (12k and 50k tasks on 5,000 operators). Each row is one `corten
 * simulate` run with no faults: a real coordinator process, real agents over
 * real WebSockets in a few host processes, executions from the cost model,
 * quorum 2.
 *
 * Load: the same offered rate in every row (RATE tasks/s, 2 × RATE
 * executions/s), well inside what 500 operators can run (4 slots each at a
 * 100 ms median), so rows differ only in the network's size and the run's
 * length. On this 2-core machine the agents, the client and the coordinator
 * share the cores. The target (issue 15): 5,000 operators at 400 tasks/s with
 * scheduling p99 ≤ 50 ms, coordinator RSS ≤ 300 MB and ≤ 0.3 cores. After the
 * rows, two tables say what each added operator and each added 1,000 tasks
 * cost: the slope between the smallest and largest row of each series.
 *
 *   npm run bench -- scale
 *   CORTEN_SCALE=5000x12000 npm run bench -- scale     (only these rows)
 *   CORTEN_SCALE_RATE=600 npm run bench -- scale        (another offered rate)
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

/** Operators of the rows that grow the network, at OPERATOR_SERIES_TASKS tasks each. */
const OPERATOR_SERIES = [500, 1000, 2500, 5000];
const OPERATOR_SERIES_TASKS = 12_000;
/** Tasks of the rows that grow the run, on the largest network. */
const TASK_SERIES = [12_000, 50_000];

function rows(): [number, number][] {
  const spec = process.env.CORTEN_SCALE;
  if (spec) return spec.split(',').map((r) => r.split('x').map(Number) as [number, number]);
  const out: [number, number][] = OPERATOR_SERIES.map((operators) => [operators, OPERATOR_SERIES_TASKS]);
  const largest = OPERATOR_SERIES.at(-1)!;
  for (const tasks of TASK_SERIES) if (tasks !== OPERATOR_SERIES_TASKS) out.push([largest, tasks]);
  return out;
}

export async function scaleBench(): Promise<ScaleRow[]> {
  heading('scale: coordinator CPU, memory and scheduling latency as the network grows (no faults, quorum 2)');
  line(`  offered load ${fmt(RATE)} tasks/s (${fmt(2 * RATE)} executions/s) in every row`);
  line(
    '  operators  tasks    verified/s  run s  coord cores mean/peak  coord µs/task  coord RSS peak  sched p50  sched p99  ≤50 ms   turn p99   leases lost  load before',
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
          `${pad(s?.within50Ms != null ? `${fmt(s.within50Ms * 100, 2)}%` : 'n/a', 7)}  ${pad(ms(c.turns?.p99Ms, c.turns?.maxBucketMs), 9)}  ` +
          `${pad(fmt(report.work.leasesLost), 11)}  ${fmt(loadBefore, 1)}`,
      );
      if (report.tasks.lost > 0) line(`    warning: ${report.tasks.lost} tasks lost`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  growth(
    'with operators',
    out.filter((r) => r.tasks === OPERATOR_SERIES_TASKS),
    (r) => r.operators,
    'operator',
  );
  growth(
    'with tasks',
    out.filter((r) => r.operators === OPERATOR_SERIES.at(-1)),
    (r) => r.tasks / 1000,
    '1,000 tasks',
  );
  const goal = out.find((r) => r.operators === 5000 && r.tasks === OPERATOR_SERIES_TASKS);
  if (goal) {
    const c = goal.report.coordinator;
    const p99 = c.scheduling ? (c.scheduling.p99Ms ?? c.scheduling.maxBucketMs ?? NaN) : NaN;
    const cores = c.meanCores <= 0.3 ? 'meets' : 'misses';
    line(
      `  5,000 operators: scheduling p99 ${ms(c.scheduling?.p99Ms, c.scheduling?.maxBucketMs)} (${versus(p99, 50, false)} ms), ` +
        `RSS ${fmt(c.peakRssMb)} MB (${versus(c.peakRssMb, 300, false)} MB), ${fmt(c.meanCores, 2)} cores (${cores} target ≤ 0.3)`,
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

/**
 * How the coordinator's cost grows along one series of rows: each row's CPU seconds per second of run, CPU per
 * verified task and peak RSS, then the slope between the first and the last row per `unit`.
 */
function growth(title: string, series: ScaleRow[], x: (r: ScaleRow) => number, unit: string): void {
  if (series.length < 2) return;
  line(`  growth ${title}:`);
  line('    operators  tasks    coord cores  coord µs/task  coord RSS peak');
  for (const r of series) {
    const c = r.report.coordinator;
    line(
      `    ${pad(fmt(r.operators), 9)}  ${pad(fmt(r.tasks), 7)}  ${pad(fmt(c.meanCores, 3), 11)}  ` +
        `${pad(fmt((c.cpuSeconds / Math.max(1, r.report.tasks.verified)) * 1e6), 13)}  ${fmt(c.peakRssMb)} MB`,
    );
  }
  const first = series[0]!;
  const last = series.at(-1)!;
  const dx = x(last) - x(first);
  const rss = (last.report.coordinator.peakRssMb - first.report.coordinator.peakRssMb) / dx;
  const cores = (last.report.coordinator.meanCores - first.report.coordinator.meanCores) / dx;
  line(
    `    each ${unit} more: ${fmt(rss * (unit === 'operator' ? 1024 : 1), unit === 'operator' ? 1 : 2)} ${unit === 'operator' ? 'KB' : 'MB'} RSS, ` +
      `${fmt(cores * (unit === 'operator' ? 1000 : 1), 3)} cores${unit === 'operator' ? ' per 1,000' : ''}`,
  );
}

/** A histogram percentile: null means beyond its largest bucket. */
function ms(v: number | null | undefined, maxBucket: number | undefined): string {
  if (v === undefined) return 'n/a';
  return v === null ? `>${fmt(maxBucket ?? NaN)} ms` : `${fmt(v, 1)} ms`;
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}
