/**
 * The simulator's side of the agent hosts: starts the `corten agents`
 * processes of a plan, learns which operator id each agent number has, and
 * sends fault commands to whichever host holds the agents named.
 */
import type { CostDistribution } from './cost-model.js';
import { CONTROL_REPLY_PREFIX, type ControlReply, type ControlRequest } from './agent-control.js';
import type { LocalNetwork, ManagedProcess } from './local-network.js';

export interface SimAgentInfo {
  index: number;
  operatorId: string;
  region: string;
}

/** How long a host may take to apply a command (it answers within a few ms unless something is wrong). */
const REPLY_TIMEOUT_MS = 15_000;

interface Host {
  proc: ManagedProcess;
  first: number;
  count: number;
}

export class SimHosts {
  /** Agent number → what the host reported. */
  readonly agents: SimAgentInfo[] = [];
  private readonly hosts: Host[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private constructor() {}

  /** Starts every host at once and resolves when all their agents are online. */
  static async start(
    network: LocalNetwork,
    layout: { first: number; count: number }[],
    opts: { regions: string[]; maxConcurrent: number; cost: CostDistribution },
  ): Promise<SimHosts> {
    const sim = new SimHosts();
    await Promise.all(
      layout.map(async ({ first, count }, h) => {
        const args = [
          '--count',
          String(count),
          '--first-index',
          String(first),
          '--regions',
          opts.regions.join(','),
          '--max-concurrent',
          String(opts.maxConcurrent),
          '--executor',
          'cost',
          '--cost-median-ms',
          String(Math.round(opts.cost.medianMs)),
          '--cost-sigma',
          String(opts.cost.sigma),
        ];
        const proc = await network.startAgentHost(`agents-${h}`, args, { control: true });
        const [, json] = await proc.waitForLine(/^corten agents ids (.*)$/);
        for (const info of JSON.parse(json!) as SimAgentInfo[]) sim.agents[info.index] = info;
        proc.onLine((line) => sim.onReply(line));
        sim.hosts.push({ proc, first, count });
      }),
    );
    return sim;
  }

  get pids(): number[] {
    return this.hosts.map((h) => h.proc.pid);
  }

  /** Sends a command to the hosts holding its agents; resolves when each has applied it. */
  async send(command: Omit<ControlRequest, 'id'>): Promise<void> {
    const byHost = new Map<Host, number[]>();
    for (const index of command.agents) {
      const host = this.hosts.find((h) => index >= h.first && index < h.first + h.count);
      if (!host) throw new Error(`no host holds agent ${index}`);
      let list = byHost.get(host);
      if (!list) byHost.set(host, (list = []));
      list.push(index);
    }
    await Promise.all(
      [...byHost].map(([host, agents]) => {
        const id = this.nextId++;
        const done = new Promise<void>((resolve, reject) => {
          // A host that died or froze must not stall the timeline for ever.
          const timer = setTimeout(() => {
            this.pending.delete(id);
            reject(
              new Error(`${host.proc.name} did not answer control command ${command.op} within ${REPLY_TIMEOUT_MS} ms`),
            );
          }, REPLY_TIMEOUT_MS);
          this.pending.set(id, {
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
            reject: (e) => {
              clearTimeout(timer);
              reject(e);
            },
          });
        });
        host.proc.writeLine(JSON.stringify({ ...command, agents, id }));
        return done;
      }),
    );
  }

  private onReply(line: string): void {
    if (!line.startsWith(CONTROL_REPLY_PREFIX)) return;
    const reply = JSON.parse(line.slice(CONTROL_REPLY_PREFIX.length)) as ControlReply;
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiter.resolve();
    else waiter.reject(new Error(`agent host refused a command: ${reply.error}`));
  }
}
