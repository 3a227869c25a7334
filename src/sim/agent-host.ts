/**
 * Many operator agents in one process, each with its own key and its own
 * WebSocket to the coordinator, sharing one executor. The simulator and the
 * benchmarks use it to put hundreds of real operator connections on one
 * machine.
 */
import type { Logger } from 'pino';
import { Agent, type Executor, type Faults } from '../operator/index.js';
import { generateKeyPair, type OperatorResources } from '../protocol/index.js';

export interface AgentHostOptions {
  coordinatorUrl: string;
  count: number;
  /** Agents are spread round-robin over these regions. */
  regions: string[];
  maxConcurrent: number;
  executor: Executor;
  log: Logger;
  resources?: Partial<OperatorResources>;
  faults?: Faults;
}

export class AgentHost {
  readonly agents: Agent[] = [];

  constructor(private readonly opts: AgentHostOptions) {
    for (let i = 0; i < opts.count; i++) {
      const region = opts.regions[i % opts.regions.length]!;
      this.agents.push(
        new Agent({
          coordinatorUrl: opts.coordinatorUrl,
          keys: generateKeyPair(),
          region,
          resources: {
            cpu: 4, memoryMb: 8192, gpuMemoryMb: 0, capabilities: opts.executor.capabilities, eus: [],
            ...opts.resources,
          },
          maxConcurrent: opts.maxConcurrent,
          executor: opts.executor,
          log: opts.log,
          ...(opts.faults ? { faults: opts.faults } : {}),
        }),
      );
    }
  }

  /** Connects every agent, a batch at a time (the coordinator verifies each hello). */
  async start(batch = 50): Promise<void> {
    for (let i = 0; i < this.agents.length; i += batch) {
      await Promise.all(this.agents.slice(i, i + batch).map((a) => a.start()));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    await this.opts.executor.close();
  }
}
