/**
 * Many operator agents in one process, each with its own key and its own
 * WebSocket to the coordinator, sharing one executor. The simulator and the
 * benchmarks use it to put hundreds of real operator connections on one
 * machine.
 *
 * Agents are numbered across every host of a simulation (`firstIndex` is the
 * number of this host's first agent), so a scenario can name an agent the
 * same way whichever process holds it; regions go round-robin by that number.
 * Each agent sits in fault wrappers (faulty-agent.ts) for the control channel.
 */
import type { Logger } from 'pino';
import type { Agent, AgentOptions, Executor } from '../operator/index.js';
import { generateKeyPair, type OperatorResources } from '../protocol/index.js';
import type { Faults } from './faults.js';
import { FaultyAgent } from './faulty-agent.js';

export interface AgentHostOptions {
  coordinatorUrl: string;
  count: number;
  /** Agents are spread round-robin over these regions, by global index. */
  regions: string[];
  /** Global index of this host's first agent (default 0). */
  firstIndex?: number;
  maxConcurrent: number;
  executor: Executor;
  log: Logger;
  resources?: Partial<OperatorResources>;
  faults?: Faults;
}

export class AgentHost {
  private readonly wrapped: FaultyAgent[] = [];
  readonly firstIndex: number;
  private readonly options: AgentOptions[] = [];

  constructor(private readonly opts: AgentHostOptions) {
    this.firstIndex = opts.firstIndex ?? 0;
    for (let i = 0; i < opts.count; i++) {
      const region = opts.regions[(this.firstIndex + i) % opts.regions.length]!;
      const options: AgentOptions = {
        coordinatorUrl: opts.coordinatorUrl,
        keys: generateKeyPair(),
        region,
        resources: {
          cpu: 4,
          memoryMb: 8192,
          gpuMemoryMb: 0,
          capabilities: opts.executor.capabilities,
          eus: [],
          ...opts.resources,
        },
        maxConcurrent: opts.maxConcurrent,
        executor: opts.executor,
        log: opts.log,
      };
      this.options.push(options);
      this.wrapped.push(new FaultyAgent(options, opts.faults));
    }
  }

  get agents(): Agent[] {
    return this.wrapped.map((w) => w.agent);
  }

  /** The agent with this global index, in its fault wrappers, or undefined when another host holds it. */
  agent(index: number): FaultyAgent | undefined {
    return this.wrapped[index - this.firstIndex];
  }

  /** Global index and region of each agent, with its operator id. */
  describe(): { index: number; operatorId: string; region: string }[] {
    return this.agents.map((a, i) => ({
      index: this.firstIndex + i,
      operatorId: a.id,
      region: this.options[i]!.region,
    }));
  }

  /** Connects every agent, a batch at a time (the coordinator verifies each hello). */
  async start(batch = 50): Promise<void> {
    for (let i = 0; i < this.agents.length; i += batch) {
      await Promise.all(this.agents.slice(i, i + batch).map((a) => a.start()));
    }
  }

  /**
   * Starts a fresh agent with the same identity in place of this one, as a
   * restarted operator process would be: same key, nothing held. The old
   * agent is crashed first if it still runs.
   */
  restart(index: number): FaultyAgent {
    const i = index - this.firstIndex;
    const old = this.wrapped[i];
    if (!old) throw new Error(`agent ${index} is not on this host`);
    old.crash();
    const fresh = new FaultyAgent(this.options[i]!, this.opts.faults);
    this.wrapped[i] = fresh;
    void fresh.agent.start();
    return fresh;
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    await this.opts.executor.close();
  }
}
