/**
 * The performance targets, and the table `npm run bench` ends with: each figure the run measured,
 * its target, and the ratio of the two (above 1 is better for every row, whichever way its figure
 * should go). A section that did not run leaves its rows out. Printed, never asserted.
 */
import { fmt, heading, line } from './support.js';

export interface Target {
  what: string;
  /** Unit of the figure and the target, as printed. */
  unit: string;
  target: number;
  higherIsBetter: boolean;
}

/** The targets, by key; the numbers come from the project's performance goals (README "Performance"). */
export const TARGETS = {
  q1PerSecond: { what: 'verified tasks/s, quorum 1', unit: '/s', target: 5000, higherIsBetter: true },
  q3PerSecond: { what: 'verified tasks/s, quorum 3', unit: '/s', target: 2000, higherIsBetter: true },
  q1VsBullmq: { what: 'quorum 1 against BullMQ, same run', unit: '×', target: 1, higherIsBetter: true },
  q3VsBullmq: { what: 'quorum 3 against BullMQ, same run', unit: '×', target: 0.5, higherIsBetter: true },
  q1CoordinatorUs: { what: 'CPU per verified task q1, coordinator', unit: 'µs', target: 45, higherIsBetter: false },
  q1OperatorsUs: { what: 'CPU per verified task q1, operators', unit: 'µs', target: 50, higherIsBetter: false },
  failoverP99Ms: { what: 'failover p99 (SIGKILL → all reassigned)', unit: 'ms', target: 2000, higherIsBetter: false },
  memory100kMb: { what: 'coordinator RSS, 100,000 tasks queued', unit: 'MB', target: 500, higherIsBetter: false },
  sandboxOverhead: { what: 'sandbox overhead, news-summarize', unit: '×', target: 1.5, higherIsBetter: false },
  scale5000SchedP99Ms: { what: '5,000 operators: scheduling p99', unit: 'ms', target: 50, higherIsBetter: false },
  scale5000RssMb: { what: '5,000 operators: coordinator RSS peak', unit: 'MB', target: 300, higherIsBetter: false },
  scale5000Cores: {
    what: '5,000 operators: coordinator cores (mean)',
    unit: 'cores',
    target: 0.3,
    higherIsBetter: false,
  },
  scaleLeasesLost: { what: 'scale rows: leases lost without a fault', unit: '', target: 0, higherIsBetter: false },
} satisfies Record<string, Target>;

export type TargetKey = keyof typeof TARGETS;

/** Figures measured in this run, by target. */
export class Scorecard {
  private readonly figures = new Map<TargetKey, number>();

  set(key: TargetKey, value: number | null | undefined): void {
    if (value !== null && value !== undefined && Number.isFinite(value)) this.figures.set(key, value);
  }

  get(key: TargetKey): number | undefined {
    return this.figures.get(key);
  }

  print(): void {
    if (this.figures.size === 0) return;
    heading('against the targets (ratio > 1: better than the target)');
    line(`  ${'what'.padEnd(46)}  ${'measured'.padStart(12)}  ${'target'.padStart(12)}  ${'ratio'.padStart(7)}  `);
    for (const [key, t] of Object.entries(TARGETS) as [TargetKey, Target][]) {
      const value = this.figures.get(key);
      if (value === undefined) continue;
      const ok = t.higherIsBetter ? value >= t.target : value <= t.target;
      const ratio = ratioOf(value, t);
      const digits = t.unit === '×' || t.unit === 'cores' ? 2 : 0;
      line(
        `  ${t.what.padEnd(46)}  ${`${fmt(value, digits)} ${t.unit}`.padStart(12)}  ` +
          `${`${t.higherIsBetter ? '≥' : '≤'} ${fmt(t.target, digits)} ${t.unit}`.padStart(12)}  ` +
          `${(ratio === null ? 'n/a' : fmt(ratio, 2)).padStart(7)}  ${ok ? 'meets' : 'misses'}`,
      );
    }
  }
}

/** measured/target when higher is better, target/measured when lower is; null for a zero target (a count). */
function ratioOf(value: number, t: Target): number | null {
  if (t.target === 0) return null;
  if (t.higherIsBetter) return value / t.target;
  return value === 0 ? Infinity : t.target / value;
}
