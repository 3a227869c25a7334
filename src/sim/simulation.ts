/**
 * One simulation run, start to end:
 *
 *   coordinator process ─▶ agent hosts (hundreds of real agents, cost model)
 *     ─▶ publish the scenario's EUs ─▶ follow the event stream
 *     ─▶ steady load + spikes ‖ fault timeline ─▶ wait for every task to settle
 *     ─▶ stop everything, hand the figures to the report
 *
 * The coordinator is the real thing in its own process, and every agent is a
 * real agent on its own WebSocket; only execution is modelled (cost-model.ts).
 * A task that has not settled when the run has gone `settleTimeout` without
 * progress is lost, and the report says so.
 */
import { CortenClient, type EventStream } from '../client/index.js';
import type { PublishEuRequest } from '../protocol/index.js';
import { CoordinatorWatch, type CoordinatorSample, type SchedulingFigures } from './coordinator-watch.js';
import { COLLECTED_EVENTS, EventCollector } from './event-collector.js';
import { InputNumbers, submitAtRate } from './load-generator.js';
import { LocalNetwork } from './local-network.js';
import { cpuSeconds } from './process-stats.js';
import type { SimEuSpec } from './scenario.js';
import type { SimPlan } from './scenario-plan.js';
import { SimHosts, type SimAgentInfo } from './sim-hosts.js';

export interface SimulationOptions {
  /** Folder for the coordinator's data, key files and the network log. */
  dir: string;
  /** Narration: faults as they happen, progress about every five seconds. */
  say?: (line: string) => void;
}

/** When each fault of the plan actually started and ended (ms since epoch). */
export interface AppliedFault {
  faultId: number;
  startedAt: number;
  endedAt: number | null;
}

export interface SimulationRun {
  plan: SimPlan;
  /** The load's start (ms since epoch); every time in the report counts from here. */
  t0: number;
  loadEndedAt: number;
  endedAt: number;
  agents: SimAgentInfo[];
  collector: EventCollector;
  applied: AppliedFault[];
  samples: CoordinatorSample[];
  scheduling: SchedulingFigures | null;
  /** Durations of the coordinator's engine turns, when it reports them. */
  turns: SchedulingFigures | null;
  coordinator: { cpuSeconds: number; peakRssMb: number };
  hostsCpuSeconds: number;
  simulatorCpuSeconds: number;
  submitRetries: number;
  /** Tasks still open at the end, with the coordinator's view of a few of them. */
  lost: { count: number; sample: { taskId: string; status: string }[] };
  networkLog: string;
}

/** A cost-model EU: the agents' executor ignores the code, so any valid package will do. */
export function simEuPackage(spec: SimEuSpec, price = 0): PublishEuRequest {
  return {
    manifest: {
      name: spec.name,
      version: '1.0.0',
      description: 'simulated workload: operators run a cost model, not this code',
      verification: { policy: 'exact', quorum: spec.quorum, maxReplicas: spec.maxReplicas },
      timeoutMs: spec.timeoutMs,
      price,
      requirements: { cpu: 1, memoryMb: 16, capabilities: [], ...(spec.regions ? { regions: spec.regions } : {}) },
      inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
    },
    files: { 'main.js': 'export function run(input) { return input; }\n' },
  };
}

export async function runSimulation(plan: SimPlan, opts: SimulationOptions): Promise<SimulationRun> {
  const say = opts.say ?? (() => {});
  const economics = plan.economics;
  const network = new LocalNetwork({
    dir: opts.dir,
    coordinatorArgs: plan.coordinatorArgs,
    ...(economics ? { minStake: economics.minStake, operatorStake: economics.stake } : {}),
  });
  const cpu0 = process.cpuUsage();
  let follow: Follower | null = null;
  let watch: CoordinatorWatch | null = null;
  try {
    const url = await network.startCoordinator();
    say(
      `coordinator at ${url}; starting ${plan.operators} agents in ${plan.hosts.length} host processes over ${plan.regions.length} regions`,
    );
    const hosts = await SimHosts.start(network, plan.hosts, {
      regions: plan.regions,
      maxConcurrent: plan.maxConcurrent,
      cost: plan.cost,
    });
    const client = economics ? await fund(network, plan, hosts.agents) : network.admin();
    for (const eu of plan.eus) await client.publishEu(simEuPackage(eu, economics?.price ?? 0));

    const t0 = Date.now();
    const collector = new EventCollector(
      t0,
      plan.regions,
      hosts.agents.map((a) => [a.operatorId, a.region] as [string, string]),
    );
    // The admin follows the whole log: the account's key would see only its own tasks' events.
    follow = new Follower(network.admin(), collector);
    await follow.start();
    const pid = network.coordinator!.pid;
    watch = new CoordinatorWatch(pid, network.admin(), t0);
    watch.start();
    say(
      `load: ${plan.load.tasks} tasks of ${plan.load.eu} at ${plan.load.rate.toFixed(0)}/s (about ${(plan.load.windowMs / 1000).toFixed(0)} s)${plan.spikes.length ? `, plus ${plan.spikes.length} spike(s)` : ''}`,
    );

    const applied = new Map<number, AppliedFault>();
    const numbers = new InputNumbers();
    const progress = setInterval(() => say(progressLine(t0, collector, watch!.samples.at(-1))), 5000);
    progress.unref();
    let retries = 0;
    const load = submitAtRate(client, collector, numbers, {
      eu: plan.load.eu,
      tasks: plan.load.tasks,
      rate: plan.load.rate,
    });
    const spikes = plan.spikes.map(async (spike) => {
      await until(t0 + spike.atMs);
      applied.set(spike.faultId, { faultId: spike.faultId, startedAt: Date.now(), endedAt: null });
      say(`t=${secs(Date.now() - t0)} ▶ ${plan.faults.find((f) => f.id === spike.faultId)!.label}`);
      const r = await submitAtRate(client, collector, numbers, {
        eu: spike.eu,
        tasks: spike.tasks,
        rate: spike.tasks / Math.max(0.001, spike.overMs / 1000),
      });
      applied.get(spike.faultId)!.endedAt = Date.now();
      retries += r.retries;
    });
    const timeline = (async () => {
      for (const step of plan.steps) {
        await until(t0 + step.atMs);
        const at = Date.now();
        await hosts.send(step.command);
        const fault = plan.faults.find((f) => f.id === step.faultId)!;
        if (step.phase === 'start') applied.set(step.faultId, { faultId: step.faultId, startedAt: at, endedAt: null });
        else applied.get(step.faultId)!.endedAt = at;
        say(
          `t=${secs(at - t0)} ${step.phase === 'start' ? '▶' : '◀'} ${fault.label}${step.phase === 'end' ? ' lifted' : ''}`,
        );
      }
    })();
    // Awaited together so that a failure of either surfaces at once and none goes unhandled.
    let loadEndedAt = 0;
    await Promise.all([
      Promise.all([load.then((r) => (retries += r.retries)), ...spikes]).then(() => (loadEndedAt = Date.now())),
      timeline,
    ]);
    await settle(collector, plan.settleTimeoutMs);
    const endedAt = Date.now();
    clearInterval(progress);
    say(progressLine(t0, collector, watch.samples.at(-1)));

    watch.stop();
    follow.stop();
    const open = collector.openTasks();
    const sample = await Promise.all(
      open.slice(0, 10).map(async (taskId) => ({
        taskId,
        status: await client.getTask(taskId).then(
          (t) => t.status,
          () => 'unknown',
        ),
      })),
    );
    const cpu = process.cpuUsage(cpu0);
    return {
      plan,
      t0,
      loadEndedAt,
      endedAt,
      agents: hosts.agents,
      collector,
      applied: [...applied.values()],
      samples: watch.samples,
      ...(await watch.finalFigures()),
      coordinator: { cpuSeconds: watch.cpuUsed(), peakRssMb: watch.peakRssMb() },
      hostsCpuSeconds: hosts.pids.reduce((sum, p) => sum + cpuSeconds(p), 0),
      simulatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
      submitRetries: retries,
      lost: { count: open.length, sample },
      networkLog: network.logPath,
    };
  } finally {
    watch?.stop();
    follow?.stop();
    await network.stop();
  }
}

/**
 * Puts money in play: bonds every operator's stake (up to `stake`), and
 * funds a developer account for the whole load at the worst case (every
 * task at its EU's maxReplicas). Returns a client submitting as that account.
 */
async function fund(network: LocalNetwork, plan: SimPlan, agents: SimAgentInfo[]): Promise<CortenClient> {
  const { price, stake } = plan.economics!;
  const admin = network.admin();
  if (stake > 0) {
    const bonded = new Map((await admin.listOperators()).map((o) => [o.id, o.stake]));
    // A few at a time: each bond is a ledger entry the coordinator commits.
    for (let i = 0; i < agents.length; i += 50) {
      await Promise.all(
        agents.slice(i, i + 50).map(async (a) => {
          const missing = stake - (bonded.get(a.operatorId) ?? 0);
          if (missing > 0) await admin.stake(a.operatorId, missing);
        }),
      );
    }
  }
  const account = await admin.createAccount(`simulator-${plan.name}`.slice(0, 64));
  const tasks = plan.load.tasks + plan.spikes.reduce((n, sp) => n + sp.tasks, 0);
  const replicas = Math.max(...plan.eus.map((e) => e.maxReplicas));
  if (price > 0) await admin.deposit(account.id, Math.ceil(price * replicas * tasks * 1.1));
  return new CortenClient(network.url, { apiKey: account.apiKey });
}

/**
 * Follows the event stream for the whole run. The coordinator drops a
 * stream that falls too far behind; the follower then resumes after the last
 * event it saw, so nothing is missed.
 */
class Follower {
  private stream: EventStream | null = null;
  private stopped = false;

  constructor(
    private readonly client: CortenClient,
    private readonly collector: EventCollector,
  ) {}

  async start(): Promise<void> {
    this.open();
    await this.stream!.ready;
  }

  private open(): void {
    const stream = this.client.stream({ after: this.collector.lastSeq, types: COLLECTED_EVENTS }, (e) =>
      this.collector.add(e),
    );
    this.stream = stream;
    void stream.done.then(
      () => this.reopen(),
      () => this.reopen(),
    );
  }

  private reopen(): void {
    if (this.stopped) return;
    setTimeout(() => {
      if (!this.stopped) this.open();
    }, 200).unref();
  }

  stop(): void {
    this.stopped = true;
    this.stream?.close();
  }
}

/** Waits until every submitted task has settled, or until `timeoutMs` pass without any settling. */
async function settle(collector: EventCollector, timeoutMs: number): Promise<void> {
  let settledBefore = collector.verified + collector.failed;
  let lastProgress = Date.now();
  while (collector.open > 0) {
    const left = timeoutMs - (Date.now() - lastProgress);
    if (left <= 0) return;
    await Promise.race([collector.changed(), new Promise((resolve) => setTimeout(resolve, Math.min(left, 1000)))]);
    const settled = collector.verified + collector.failed;
    if (settled !== settledBefore) {
      settledBefore = settled;
      lastProgress = Date.now();
    }
  }
}

function until(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function progressLine(t0: number, c: EventCollector, sample: CoordinatorSample | undefined): string {
  const coordinator = sample
    ? ` | coordinator ${sample.cpuCores.toFixed(2)} cores, ${sample.rssMb.toFixed(0)} MB, ${sample.online} online, ${sample.queued} queued`
    : '';
  return `t=${secs(Date.now() - t0)} submitted ${c.submitted} verified ${c.verified} failed ${c.failed} open ${c.open}${coordinator}`;
}
