/**
 * A cost model in place of the EU runtime: each execution takes a time drawn
 * from a distribution and returns a deterministic output derived from the
 * input, without running the EU's code. Hundreds of simulated operators can
 * share 2 cores this way, and the coordinator under test sees the same
 * traffic it would from real ones.
 */
import { hashJson } from '../protocol/index.js';
import type { ExecutionJob, ExecutionOutcome, Executor } from '../operator/index.js';

export interface CostDistribution {
  /** Median execution time, ms. */
  medianMs: number;
  /** Spread of a log-normal around the median (0 = every execution takes the median). */
  sigma: number;
  /** Multiplies every draw (a slow operator has > 1). */
  slowdown?: number;
}

/** A log-normal draw: execution times are positive and right-skewed. */
export function drawMs(d: CostDistribution, random: () => number = Math.random): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return d.medianMs * Math.exp(d.sigma * z) * (d.slowdown ?? 1);
}

/**
 * What an honest operator returns for this input: a deterministic function of
 * the EU and the input, so the simulator knows the right answer of every task
 * and can tell when a wrong one was accepted.
 */
export function costModelOutput(euName: string, input: unknown): { digest: string; eu: string } {
  return { digest: hashJson(input).slice(0, 16), eu: euName };
}

export class CostModelExecutor implements Executor {
  readonly capabilities: string[];

  constructor(
    private readonly cost: CostDistribution,
    capabilities: string[] = ['nlp', 'embed.text'],
  ) {
    this.capabilities = capabilities;
  }

  async execute(job: ExecutionJob): Promise<ExecutionOutcome> {
    const ms = drawMs(this.cost);
    if (ms >= 1) await new Promise((resolve) => setTimeout(resolve, ms));
    return { ok: true, output: costModelOutput(job.eu.manifest.name, job.input), metrics: { durationMs: ms } };
  }

  async close(): Promise<void> {}
}
