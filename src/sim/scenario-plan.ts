/**
 * From a scenario (plus the command line's overrides) to a concrete plan:
 * region names, which host holds which agent, the load rate, and every fault
 * resolved to a time in ms and a list of agent numbers. Everything that can
 * be wrong with a scenario beyond its shape (a region that does not exist, a
 * fault asking for more operators than remain) is caught here, before any
 * process starts, with an error naming the field.
 */
import { CortenError } from '../protocol/index.js';
import type { ControlRequest } from './agent-control.js';
import { timeMs, type FaultEntry, type FaultKind, type Scenario, type SimEuSpec } from './scenario.js';

/** Region names, in the order `--regions N` takes them. */
const REGION_NAMES = [
  'eu-west',
  'us-east',
  'ap-south',
  'us-west',
  'eu-north',
  'sa-east',
  'ap-northeast',
  'af-south',
  'me-central',
  'ap-southeast',
  'ca-central',
  'eu-south',
];

/** Agents one host process carries by default: enough to keep process count (and context switches) low on 2 cores. */
const AGENTS_PER_HOST = 250;

export interface RunOverrides {
  operators?: number;
  regions?: number;
  tasks?: number;
  hosts?: number;
  rate?: number;
  seed?: number;
}

export interface PlannedFault {
  /** Position in the scenario's timeline. */
  id: number;
  kind: FaultKind;
  label: string;
  startMs: number;
  /** When it is lifted; null when it lasts to the end. */
  endMs: number | null;
  /** Agent numbers it touches (none for a spike). */
  agents: number[];
  region?: string;
}

/** One command to the agent hosts at a moment of the timeline (the runner routes it by agent number). */
export interface ControlStep {
  atMs: number;
  faultId: number;
  phase: 'start' | 'end';
  command: Omit<ControlRequest, 'id'>;
}

export interface PlannedSpike {
  faultId: number;
  atMs: number;
  tasks: number;
  eu: string;
  overMs: number;
}

export interface SimPlan {
  name: string;
  description: string;
  seed: number;
  regions: string[];
  operators: number;
  maxConcurrent: number;
  /** Agent numbers each host process carries: [first, first + count). */
  hosts: { first: number; count: number }[];
  coordinatorArgs: string[];
  economics: { price: number; stake: number; minStake: number } | null;
  cost: { medianMs: number; sigma: number };
  eus: SimEuSpec[];
  load: { tasks: number; rate: number; eu: string; windowMs: number };
  spikes: PlannedSpike[];
  faults: PlannedFault[];
  steps: ControlStep[];
  /** Per agent number: `honest`, or the kind of the first fault that touched it. */
  classOf: string[];
  /** Offline detection time the coordinator is configured for. */
  offlineAfterMs: number;
  settleTimeoutMs: number;
}

/** The region of agent `index` (round-robin, as the agent hosts assign them). */
export function regionOf(plan: Pick<SimPlan, 'regions'>, index: number): string {
  return plan.regions[index % plan.regions.length]!;
}

export function planScenario(scenario: Scenario, overrides: RunOverrides = {}): SimPlan {
  const problems: { path: string; message: string }[] = [];
  const operators = overrides.operators ?? scenario.network.operators;
  const regions =
    overrides.regions !== undefined
      ? regionNames(overrides.regions)
      : Array.isArray(scenario.network.regions)
        ? scenario.network.regions
        : regionNames(scenario.network.regions);
  if (regions.length > operators)
    problems.push({
      path: 'network.regions',
      message: `${regions.length} regions need at least as many operators (have ${operators})`,
    });
  const hostCount = Math.min(
    operators,
    overrides.hosts ?? scenario.network.hosts ?? Math.max(1, Math.ceil(operators / AGENTS_PER_HOST)),
  );
  const hosts: SimPlan['hosts'] = [];
  for (let h = 0, first = 0; h < hostCount; h++) {
    const count = Math.floor(operators / hostCount) + (h < operators % hostCount ? 1 : 0);
    hosts.push({ first, count });
    first += count;
  }

  const euNames = new Set(scenario.eus.map((e) => e.name));
  scenario.eus.forEach((eu, i) => {
    for (const r of eu.regions ?? [])
      if (!regions.includes(r))
        problems.push({ path: `eus[${i}].regions`, message: `region ${r} is not in this run (${regions.join(', ')})` });
  });
  const loadEu = scenario.load.eu ?? scenario.eus[0]!.name;
  if (!euNames.has(loadEu)) problems.push({ path: 'load.eu', message: `no EU named ${loadEu} in eus` });
  const euSpec = scenario.eus.find((e) => e.name === loadEu) ?? scenario.eus[0]!;

  const { medianMs, sigma } = scenario.cost;
  const heartbeatMs = scenario.coordinator.heartbeatMs ?? 500;
  const missThreshold = scenario.coordinator.missThreshold ?? 3;
  const tasks = overrides.tasks ?? scenario.load.tasks;
  const rate =
    overrides.rate ??
    (scenario.load.rate === 'auto'
      ? autoRate(operators, scenario.network.maxConcurrent, medianMs, sigma, euSpec.quorum, scenario.load.utilization)
      : scenario.load.rate);
  const windowMs = (tasks / rate) * 1000;

  const rng = mulberry32(overrides.seed ?? scenario.seed);
  const classOf: string[] = Array.from({ length: operators }, () => 'honest');
  const touched = new Set<number>();
  const faults: PlannedFault[] = [];
  const steps: ControlStep[] = [];
  const spikes: PlannedSpike[] = [];

  scenario.timeline.forEach((entry, id) => {
    const path = `timeline[${id}] (${entry.fault})`;
    const startMs = timeMs(entry.at, windowMs);
    if (entry.fault === 'spike') {
      const eu = entry.eu ?? loadEu;
      if (!euNames.has(eu)) problems.push({ path: `${path}.eu`, message: `no EU named ${eu} in eus` });
      spikes.push({ faultId: id, atMs: startMs, tasks: entry.tasks, eu, overMs: timeMs(entry.over, windowMs) });
      faults.push({
        id,
        kind: 'spike',
        label: entry.label ?? `spike ${entry.tasks} tasks → ${eu}`,
        startMs,
        endMs: startMs + timeMs(entry.over, windowMs),
        agents: [],
      });
      return;
    }
    const endMs = entry.for !== undefined ? startMs + timeMs(entry.for, windowMs) : null;
    let agents: number[];
    let region: string | undefined;
    if (entry.fault === 'region-outage' || entry.fault === 'region-cut') {
      region = entry.region;
      if (!regions.includes(region)) {
        problems.push({
          path: `${path}.region`,
          message: `region ${region} is not in this run (${regions.join(', ')})`,
        });
        return;
      }
      agents = range(operators).filter((i) => regions[i % regions.length] === region);
    } else {
      const picked = pick(entry, operators, regions, touched, rng, `${path}.operators`, problems);
      if (!picked) return;
      agents = picked;
      region = entry.operators.region;
    }
    for (const i of agents) {
      touched.add(i);
      if (classOf[i] === 'honest') classOf[i] = entry.fault;
    }
    const fault: PlannedFault = {
      id,
      kind: entry.fault,
      label: entry.label ?? defaultLabel(entry, agents.length),
      startMs,
      endMs,
      agents,
    };
    if (region) fault.region = region;
    faults.push(fault);
    const [start, end] = commands(entry, windowMs);
    steps.push({
      atMs: startMs,
      faultId: id,
      phase: 'start',
      command: { ...start, agents } as Omit<ControlRequest, 'id'>,
    });
    if (endMs !== null)
      steps.push({ atMs: endMs, faultId: id, phase: 'end', command: { ...end, agents } as Omit<ControlRequest, 'id'> });
  });

  if (problems.length > 0) {
    throw new CortenError(
      'VALIDATION_FAILED',
      `the scenario does not fit this run: ${problems[0]!.path}: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      {
        details: { issues: problems },
      },
    );
  }
  steps.sort((a, b) => a.atMs - b.atMs);
  const coordinatorArgs = [
    '--no-builtin-eus',
    '--heartbeat-ms',
    String(heartbeatMs),
    '--miss-threshold',
    String(missThreshold),
  ];
  if (scenario.coordinator.leaseGraceMs !== undefined)
    coordinatorArgs.push('--lease-grace-ms', String(scenario.coordinator.leaseGraceMs));
  coordinatorArgs.push(...scenario.coordinator.args);
  return {
    name: scenario.name,
    description: scenario.description,
    seed: overrides.seed ?? scenario.seed,
    regions,
    operators,
    maxConcurrent: scenario.network.maxConcurrent,
    hosts,
    coordinatorArgs,
    economics: scenario.economics ?? null,
    cost: { medianMs, sigma },
    eus: scenario.eus,
    load: { tasks, rate, eu: loadEu, windowMs },
    spikes,
    faults,
    steps,
    classOf,
    offlineAfterMs: heartbeatMs * missThreshold,
    settleTimeoutMs: timeMs(scenario.settleTimeout, windowMs),
  };
}

/**
 * Tasks/s that keeps the operators `utilization` busy: slots × executions a
 * slot finishes per second (the log-normal's mean is median·e^(σ²/2)),
 * divided by the replicas each task needs.
 */
export function autoRate(
  operators: number,
  slots: number,
  medianMs: number,
  sigma: number,
  quorum: number,
  utilization: number,
): number {
  const meanMs = Math.max(1, medianMs * Math.exp((sigma * sigma) / 2));
  return (utilization * operators * slots * 1000) / meanMs / quorum;
}

function regionNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => REGION_NAMES[i] ?? `region-${i + 1}`);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function pick(
  entry: Extract<FaultEntry, { operators: unknown }>,
  operators: number,
  regions: string[],
  touched: Set<number>,
  rng: () => number,
  path: string,
  problems: { path: string; message: string }[],
): number[] | null {
  const sel = entry.operators;
  if (sel.region !== undefined && !regions.includes(sel.region)) {
    problems.push({
      path: `${path}.region`,
      message: `region ${sel.region} is not in this run (${regions.join(', ')})`,
    });
    return null;
  }
  if (sel.agents) {
    const bad = sel.agents.find((i) => i >= operators);
    if (bad !== undefined) {
      problems.push({
        path: `${path}.agents`,
        message: `agent ${bad} does not exist (agents are numbered 0 to ${operators - 1})`,
      });
      return null;
    }
    return [...new Set(sel.agents)];
  }
  const inRegion = range(operators).filter(
    (i) => sel.region === undefined || regions[i % regions.length] === sel.region,
  );
  if (sel.count === undefined && sel.share === undefined) return inRegion;
  const pool = inRegion.filter((i) => !touched.has(i));
  const want = sel.count ?? Math.max(1, Math.round(sel.share! * inRegion.length));
  if (want > pool.length) {
    problems.push({
      path: `${path}.${sel.count !== undefined ? 'count' : 'share'}`,
      message: `asks for ${want} operators but only ${pool.length}${sel.region ? ` in ${sel.region}` : ''} are untouched by earlier faults`,
    });
    return null;
  }
  // A partial Fisher-Yates shuffle: the seed decides who is hit.
  for (let i = 0; i < want; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, want).sort((a, b) => a - b);
}

type Command = Record<string, unknown> & { op: string };

function commands(entry: Exclude<FaultEntry, { fault: 'spike' }>, windowMs: number): [Command, Command] {
  switch (entry.fault) {
    case 'crash':
    case 'region-outage':
      return [{ op: 'crash' }, { op: 'restart' }];
    case 'hang':
      return [{ op: 'hang' }, { op: 'unhang' }];
    case 'slow':
      return [
        { op: 'slow', factor: entry.factor },
        { op: 'slow', factor: 1 },
      ];
    case 'flap':
      return [
        {
          op: 'flap',
          upMs: Math.max(1, Math.round(timeMs(entry.up, windowMs))),
          downMs: Math.max(1, Math.round(timeMs(entry.down, windowMs))),
        },
        { op: 'unflap' },
      ];
    case 'lie':
      return [
        { op: 'faults', faults: { lie: true, lieRate: entry.rate } },
        { op: 'faults', faults: { lie: false } },
      ];
    case 'collude':
      return [
        { op: 'faults', faults: { collude: true, lieRate: entry.rate } },
        { op: 'faults', faults: { collude: false } },
      ];
    case 'flip':
      return [
        { op: 'faults', faults: { flip: true, lieRate: entry.rate } },
        { op: 'faults', faults: { flip: false } },
      ];
    case 'region-cut':
      return [{ op: 'partition', mode: entry.mode }, { op: 'heal' }];
  }
}

function defaultLabel(entry: Exclude<FaultEntry, { fault: 'spike' }>, n: number): string {
  const ops = `${n} operator${n === 1 ? '' : 's'}`;
  switch (entry.fault) {
    case 'region-outage':
    case 'region-cut':
      return `${entry.fault} ${entry.region} (${ops})`;
    case 'slow':
      return `slow ×${entry.factor} ${ops}`;
    case 'lie':
    case 'flip':
    case 'collude':
      return `${entry.fault} ${ops}${entry.rate < 1 ? ` on ${Math.round(entry.rate * 100)}% of tasks` : ''}`;
    default:
      return `${entry.fault} ${ops}`;
  }
}

/** A small seeded PRNG (mulberry32): same seed, same victims. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
