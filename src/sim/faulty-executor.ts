/**
 * An executor around the agent's real one that misbehaves on purpose: it
 * lies, colludes or flips facts (faults.ts), runs slow, holds results late,
 * freezes with its process (hang) and loses everything when it dies (crash).
 * The agent signs and sends whatever it hands back, as a dishonest or broken
 * machine's agent would.
 *
 *   running ──hang()──▶ frozen: finished runs wait ──unhang()──▶ running
 *      │                                                            │
 *      └────────────── crash(): no run ever finishes again ◀───────┘
 */
import type { ExecutionJob, ExecutionOutcome, Executor } from '../operator/index.js';
import { NO_FAULTS, shouldLie, wrongOutput, type Faults } from './faults.js';

export class FaultyExecutor implements Executor {
  private faults: Faults;
  private slowFactor = 1;
  private hung = false;
  /** Runs that finished while frozen: released in order on thaw. */
  private frozen: (() => void)[] = [];
  private dead = false;

  /** `operatorId` is the agent's: a lone liar's lie carries it, and its lie rate mixes it in. */
  constructor(
    private readonly inner: Executor,
    private readonly operatorId: string,
    faults: Faults = NO_FAULTS,
  ) {
    this.faults = faults;
  }

  get capabilities(): string[] {
    return this.inner.capabilities;
  }

  /** Changes the fault fixtures at run time (start or stop lying, colluding …). */
  setFaults(patch: Partial<Faults>): void {
    this.faults = { ...this.faults, ...patch };
  }

  get current(): Faults {
    return this.faults;
  }

  /** Every execution takes `factor` times as long (1 = normal speed). */
  setSlowFactor(factor: number): void {
    this.slowFactor = Math.max(1, factor);
  }

  hang(): void {
    this.hung = true;
  }

  unhang(): void {
    this.hung = false;
    const frozen = this.frozen;
    this.frozen = [];
    for (const release of frozen) release();
  }

  crash(): void {
    this.dead = true;
    this.hung = false;
    this.frozen = [];
  }

  async execute(job: ExecutionJob): Promise<ExecutionOutcome> {
    const outcome = await this.inner.execute(job);
    const { faults } = this;
    if (faults.slowMs > 0) await delay(faults.slowMs);
    if (this.slowFactor > 1) await delay((this.slowFactor - 1) * outcome.metrics.durationMs);
    let result = outcome;
    if (outcome.ok && shouldLie(this.faults, job.seed, this.operatorId)) {
      result = { ...outcome, output: wrongOutput(this.faults, this.operatorId, job.taskId, outcome.output) };
    }
    if (this.faults.lateMs > 0) await delay(this.faults.lateMs);
    if (this.hung) await new Promise<void>((resolve) => this.frozen.push(resolve));
    // A dead machine's work is gone: the agent never hears of it.
    if (this.dead) return new Promise<never>(() => undefined);
    return result;
  }

  /** The inner executor is the host's: whoever made it closes it. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
