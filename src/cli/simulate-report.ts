/**
 * The simulation report in the terminal: a few plain tables, the same
 * figures as report.json.
 */
import type { SchedulingFigures, SimReport } from '../sim/index.js';
import { table } from './output.js';

export function reportText(r: SimReport): string {
  const out: string[] = [];
  const say = (line = '') => out.push(line);
  say(`\n== corten simulation: ${r.scenario.name} ==`);
  say(
    `${r.network.operators} operators in ${r.network.regions.length} regions (${r.network.hosts} host processes, ${r.network.maxConcurrent} slots each); ` +
      `cost model median ${r.network.cost.medianMs} ms, σ ${r.network.cost.sigma}`,
  );
  say(
    `load: ${r.load.tasks} tasks of ${r.load.eu} at ${r.load.ratePerSecond}/s${r.load.spikes ? ` + ${r.load.spikes} in spikes` : ''}; ` +
      `run ${r.durationS} s (load ${r.loadS} s)\n`,
  );

  const t = r.tasks;
  say(
    table(
      ['TASKS', 'submitted', 'verified', 'failed', 'lost', 'wrong accepted', 'verified/s', 'peak/s'],
      [
        [
          '',
          t.submitted,
          t.verified,
          t.failed,
          t.lost,
          r.correctness.wrongAccepted,
          r.throughput.verifiedPerSecond,
          r.throughput.peakVerifiedPerSecond,
        ],
      ],
    ),
  );
  const reasons = Object.entries(t.failedByReason);
  if (reasons.length > 0) say(`failed by reason: ${reasons.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (t.lost > 0)
    say(`LOST: ${t.lost} tasks never settled, e.g. ${t.lostSample.map((s) => `${s.taskId} (${s.status})`).join(', ')}`);
  if (t.settledTwice > 0) say(`BUG: ${t.settledTwice} tasks settled twice`);

  const w = r.work;
  say(
    table(
      [
        'WORK',
        'executions',
        'per verified task',
        'assignments',
        'reassigned',
        'leases lost',
        'late results refused',
        'escalated',
        'dissenting results',
      ],
      [
        [
          '',
          w.executions,
          w.executionsPerVerified,
          w.assignments,
          w.reassigned,
          w.leasesLost,
          w.refusedResults,
          r.correctness.escalated,
          r.correctness.dissentingResults,
        ],
      ],
    ),
  );

  if (r.faults.length > 0) {
    say(
      table(
        [
          'FAULT',
          'what',
          'at',
          'until',
          'detected',
          'leases lost',
          'moved',
          'unresolved',
          'recovered in',
          'slowest move',
          'rejoined',
          'results/s before → during',
        ],
        r.faults.map((f) => [
          `#${f.id}`,
          f.label,
          `${f.startS}s`,
          f.endS === null ? '—' : `${f.endS}s`,
          ms(f.detectMs),
          f.leasesLost,
          f.reassigned,
          f.unresolved,
          ms(f.recoverMs),
          ms(f.maxReassignDelayMs),
          f.rejoined === null
            ? '—'
            : `${f.rejoined}/${f.operators}${f.rejoinMs !== null ? ` in ${f.rejoinMs} ms` : ''}`,
          f.othersPerSecondBefore === null
            ? '—'
            : `${f.othersPerSecondBefore} → ${f.othersPerSecondDuring ?? '—'}${f.region ? ' (other regions)' : ''}`,
        ]),
      ),
    );
  }

  say(
    table(
      ['CLASS', 'operators', 'executions', 'agreeing', 'dissenting', 'rewards', 'slashes', 'slash events'],
      r.classes.map((k) => [
        k.class,
        k.operators,
        k.executions,
        k.agreeing,
        k.dissenting,
        k.rewards,
        k.slashes,
        k.slashEvents,
      ]),
    ),
  );
  if (r.ledger.rewardEvents === 0 && r.ledger.slashEvents === 0)
    say('(no ledger.rewarded / ledger.slashed events from this coordinator: rewards and slashes show 0)\n');

  const peak = Math.max(1, ...r.regions.map((g) => Math.max(0, ...(r.series.perRegion[g.region] ?? []))));
  say(
    table(
      ['REGION', 'operators', 'results', 'share', `results/s over time (peak ${peak}/s)`],
      r.regions.map((g) => [
        g.region,
        g.operators,
        g.executions,
        `${((100 * g.executions) / Math.max(1, r.work.executions)).toFixed(1)}%`,
        sparkline(r.series.perRegion[g.region] ?? [], peak),
      ]),
    ),
  );
  say(`verified/s over time: ${sparkline(r.series.verified, Math.max(1, ...r.series.verified))}\n`);

  const c = r.coordinator;
  const s = c.scheduling;
  const turns = c.turns;
  say(
    table(
      [
        'COORDINATOR',
        'cpu s',
        'mean cores',
        'peak cores',
        'peak RSS MB',
        'scheduling p50',
        'p99',
        'within 50 ms',
        'engine turn p50',
        'p99',
      ],
      [
        [
          '',
          c.cpuSeconds,
          c.meanCores,
          c.peakCores,
          c.peakRssMb,
          pct(s, 'p50Ms'),
          pct(s, 'p99Ms'),
          s?.within50Ms != null ? `${(s.within50Ms * 100).toFixed(2)}%` : 'n/a',
          pct(turns, 'p50Ms'),
          pct(turns, 'p99Ms'),
        ],
      ],
    ),
  );
  if (s) say(`scheduling latency from ${s.source}, ${s.count} assignments`);
  say(
    `CPU seconds: coordinator ${c.cpuSeconds}, agent hosts ${r.processes.agentHostsCpuSeconds}, simulator ${r.processes.simulatorCpuSeconds}`,
  );
  say(
    'detected: fault → first of its operators seen offline (or first lease lost); recovered in: fault → last of its lost leases given to another operator;',
  );
  say(
    'slowest move: longest wait of one lost lease for its new operator (includes waiting for a free slot when the network is saturated)\n',
  );
  return out.join('\n');
}

/** A percentile from a histogram, or "> largest bucket" when it lies beyond. */
function pct(f: SchedulingFigures | null, key: 'p50Ms' | 'p99Ms'): string {
  if (!f) return 'n/a';
  const v = f[key];
  return v === null ? `> ${f.maxBucketMs ?? '?'} ms` : `${v} ms`;
}

const BARS = '▁▂▃▄▅▆▇█';
/** Width of a sparkline: runs longer than this are averaged into this many columns. */
const SPARK_WIDTH = 60;

/** A row of block characters, one per column of time, scaled to `peak` (a blank is no activity at all). */
function sparkline(values: number[], peak: number): string {
  const columns = Math.min(SPARK_WIDTH, values.length);
  let out = '';
  for (let c = 0; c < columns; c++) {
    const from = Math.floor((c * values.length) / columns);
    const to = Math.max(from + 1, Math.floor(((c + 1) * values.length) / columns));
    const slice = values.slice(from, to);
    const mean = slice.reduce((a, b) => a + b, 0) / slice.length;
    out += mean <= 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((mean / peak) * BARS.length))];
  }
  return out;
}

function ms(v: number | null): string {
  return v === null ? '—' : `${v} ms`;
}
