/**
 * The simulation report: every figure of a run, as one JSON-ready object.
 * The terminal table (report-text.ts) and the chart (report-chart.ts) are
 * views of it; `report.json` is it.
 *
 * Recovery of a fault: the leases its operators lost from the moment it
 * struck until it was lifted (plus one lease length, for leases that ran out
 * on their deadline), and how long until every one of those tasks was given
 * to another operator (or settled). `detectMs` is how long the coordinator
 * took to see the first of its operators go offline.
 */
import type { EventCollector } from './event-collector.js';
import type { SchedulingFigures, CoordinatorSample } from './coordinator-watch.js';
import type { SimulationRun } from './simulation.js';

export interface FaultFigures {
  id: number;
  kind: string;
  label: string;
  /** Seconds since the load's start. */
  startS: number;
  endS: number | null;
  operators: number;
  region: string | null;
  detectMs: number | null;
  leasesLost: number;
  reassigned: number;
  /** Lost leases whose task was never reassigned nor settled (must be 0). */
  unresolved: number;
  recoverMs: number | null;
  maxReassignDelayMs: number | null;
  /** After the fault was lifted: operators back online, and how long the last one took. */
  rejoined: number | null;
  rejoinMs: number | null;
  /**
   * Results per second in the 10 s before the fault and while it lasted: from
   * the other regions for a regional fault, from the whole network otherwise.
   */
  othersPerSecondBefore: number | null;
  othersPerSecondDuring: number | null;
  /** Results the fault's operators returned that lost the vote, and wrong outputs they got accepted. */
  dissenting: number;
  wrongAccepted: number;
}

export interface ClassFigures {
  class: string;
  operators: number;
  executions: number;
  agreeing: number;
  dissenting: number;
  rewards: number;
  slashes: number;
  slashEvents: number;
}

export interface SimReport {
  scenario: { name: string; description: string; seed: number };
  network: {
    operators: number;
    regions: string[];
    hosts: number;
    maxConcurrent: number;
    cost: { medianMs: number; sigma: number };
  };
  load: { tasks: number; ratePerSecond: number; eu: string; spikes: number };
  durationS: number;
  loadS: number;
  tasks: {
    submitted: number;
    verified: number;
    failed: number;
    failedByReason: Record<string, number>;
    lost: number;
    lostSample: { taskId: string; status: string }[];
    settledTwice: number;
  };
  correctness: { wrongAccepted: number; wrongSample: string[]; dissentingResults: number; escalated: number };
  work: {
    executions: number;
    assignments: number;
    reassigned: number;
    leasesLost: number;
    refusedResults: number;
    executionsPerVerified: number;
    assignmentsPerVerified: number;
  };
  throughput: { verifiedPerSecond: number; peakVerifiedPerSecond: number };
  series: {
    t: number[];
    verified: number[];
    failed: number[];
    reassigned: number[];
    leasesLost: number[];
    perRegion: Record<string, number[]>;
  };
  faults: FaultFigures[];
  classes: ClassFigures[];
  regions: { region: string; operators: number; executions: number }[];
  coordinator: {
    cpuSeconds: number;
    meanCores: number;
    peakCores: number;
    peakRssMb: number;
    scheduling: SchedulingFigures | null;
    turns: SchedulingFigures | null;
    samples: CoordinatorSample[];
  };
  processes: { agentHostsCpuSeconds: number; simulatorCpuSeconds: number };
  ledger: { rewardEvents: number; slashEvents: number };
  submitRetries: number;
  networkLog: string;
}

export function buildReport(run: SimulationRun): SimReport {
  const { plan, collector: c } = run;
  const count = (type: Parameters<EventCollector['counts']['get']>[0]) => c.counts.get(type) ?? 0;
  const opClass = new Map<string, string>();
  run.agents.forEach((a) => opClass.set(a.operatorId, plan.classOf[a.index] ?? 'honest'));

  const seconds = c.buckets.length;
  const series: SimReport['series'] = {
    t: Array.from({ length: seconds }, (_, i) => i),
    verified: c.buckets.map((b) => b.verified),
    failed: c.buckets.map((b) => b.failed),
    reassigned: c.buckets.map((b) => b.reassigned),
    leasesLost: c.buckets.map((b) => b.expired),
    perRegion: Object.fromEntries(plan.regions.map((r, i) => [r, c.buckets.map((b) => b.executions[i] ?? 0)])),
  };
  const lastVerified = lastIndexWhere(series.verified, (v) => v > 0);
  const verifiedPerSecond = lastVerified >= 0 ? c.verified / (lastVerified + 1) : 0;

  const classes = new Map<string, ClassFigures>();
  for (const a of run.agents) {
    const name = opClass.get(a.operatorId)!;
    let k = classes.get(name);
    if (!k)
      classes.set(
        name,
        (k = {
          class: name,
          operators: 0,
          executions: 0,
          agreeing: 0,
          dissenting: 0,
          rewards: 0,
          slashes: 0,
          slashEvents: 0,
        }),
      );
    k.operators += 1;
    const t = c.operators.get(a.operatorId);
    if (!t) continue;
    k.executions += t.executions;
    k.agreeing += t.agreeing;
    k.dissenting += t.dissenting;
    k.rewards += t.rewards;
    k.slashes += t.slashes;
    k.slashEvents += t.slashCount;
  }

  const regionExecutions = plan.regions.map((r) => series.perRegion[r]!.reduce((a, b) => a + b, 0));
  const cores = run.samples.map((s) => s.cpuCores).filter(Number.isFinite);
  let dissentingResults = 0;
  for (const t of c.operators.values()) dissentingResults += t.dissenting;

  return {
    scenario: { name: plan.name, description: plan.description, seed: plan.seed },
    network: {
      operators: plan.operators,
      regions: plan.regions,
      hosts: plan.hosts.length,
      maxConcurrent: plan.maxConcurrent,
      cost: plan.cost,
    },
    load: {
      tasks: plan.load.tasks,
      ratePerSecond: round(plan.load.rate, 1),
      eu: plan.load.eu,
      spikes: plan.spikes.reduce((n, s) => n + s.tasks, 0),
    },
    durationS: round((run.endedAt - run.t0) / 1000, 1),
    loadS: round((run.loadEndedAt - run.t0) / 1000, 1),
    tasks: {
      submitted: c.submitted,
      verified: c.verified,
      failed: c.failed,
      failedByReason: Object.fromEntries(c.failedReasons),
      lost: run.lost.count,
      lostSample: run.lost.sample,
      settledTwice: c.settledTwice,
    },
    correctness: {
      wrongAccepted: c.wrongAccepted.length,
      wrongSample: c.wrongAccepted.slice(0, 10).map((w) => w.taskId),
      dissentingResults,
      escalated: count('task.escalated'),
    },
    work: {
      executions: count('result.received'),
      assignments: count('task.assigned') + count('task.reassigned'),
      reassigned: count('task.reassigned'),
      leasesLost: c.lost.length,
      refusedResults: c.refused,
      executionsPerVerified: round(count('result.received') / Math.max(1, c.verified), 3),
      assignmentsPerVerified: round((count('task.assigned') + count('task.reassigned')) / Math.max(1, c.verified), 3),
    },
    throughput: {
      verifiedPerSecond: round(verifiedPerSecond, 1),
      peakVerifiedPerSecond: Math.max(0, ...series.verified),
    },
    series,
    faults: plan.faults.map((f) => faultFigures(run, f.id, series)),
    classes: [...classes.values()].sort((a, b) =>
      a.class === 'honest' ? -1 : b.class === 'honest' ? 1 : a.class.localeCompare(b.class),
    ),
    regions: plan.regions.map((region, i) => ({
      region,
      operators: run.agents.filter((a) => a.region === region).length,
      executions: regionExecutions[i]!,
    })),
    coordinator: {
      cpuSeconds: round(run.coordinator.cpuSeconds, 1),
      meanCores: round(run.coordinator.cpuSeconds / Math.max(0.001, (run.endedAt - run.t0) / 1000), 2),
      peakCores: round(Math.max(0, ...cores), 2),
      peakRssMb: round(run.coordinator.peakRssMb, 0),
      scheduling: run.scheduling,
      turns: run.turns,
      samples: run.samples,
    },
    processes: {
      agentHostsCpuSeconds: round(run.hostsCpuSeconds, 1),
      simulatorCpuSeconds: round(run.simulatorCpuSeconds, 1),
    },
    ledger: { rewardEvents: count('ledger.rewarded'), slashEvents: count('ledger.slashed') },
    submitRetries: run.submitRetries,
    networkLog: run.networkLog,
  };
}

function faultFigures(run: SimulationRun, id: number, series: SimReport['series']): FaultFigures {
  const { plan, collector: c } = run;
  const fault = plan.faults.find((f) => f.id === id)!;
  const applied = run.applied.find((a) => a.faultId === id);
  const figures: FaultFigures = {
    id,
    kind: fault.kind,
    label: fault.label,
    startS: round(fault.startMs / 1000, 1),
    endS: fault.endMs === null ? null : round(fault.endMs / 1000, 1),
    operators: fault.agents.length,
    region: fault.region ?? null,
    detectMs: null,
    leasesLost: 0,
    reassigned: 0,
    unresolved: 0,
    recoverMs: null,
    maxReassignDelayMs: null,
    rejoined: null,
    rejoinMs: null,
    othersPerSecondBefore: null,
    othersPerSecondDuring: null,
    dissenting: 0,
    wrongAccepted: 0,
  };
  if (!applied) return figures;
  figures.startS = round((applied.startedAt - run.t0) / 1000, 1);
  figures.endS = applied.endedAt === null ? null : round((applied.endedAt - run.t0) / 1000, 1);
  const ops = new Set(fault.agents.map((i) => run.agents[i]!.operatorId));
  const maxLeaseMs = Math.max(...plan.eus.map((e) => e.timeoutMs)) + 2000;
  const windowEnd = (applied.endedAt ?? run.endedAt) + maxLeaseMs;

  const leases = c.lost.filter((l) => ops.has(l.operatorId) && l.ts >= applied.startedAt && l.ts <= windowEnd);
  figures.leasesLost = leases.length;
  figures.reassigned = leases.filter((l) => l.resolvedBy === 'reassigned').length;
  figures.unresolved = leases.filter((l) => l.resolvedAt === null).length;
  if (leases.length > 0 && figures.unresolved === 0) {
    figures.recoverMs = Math.max(...leases.map((l) => l.resolvedAt! - applied.startedAt));
    figures.maxReassignDelayMs = Math.max(...leases.map((l) => l.resolvedAt! - l.ts));
  }
  const offline = c.presence.find((p) => !p.online && ops.has(p.operatorId) && p.ts >= applied.startedAt);
  const firstLost = leases.length > 0 ? Math.min(...leases.map((l) => l.ts)) : null;
  const detectedAt = offline ? offline.ts : firstLost;
  if (detectedAt !== null) figures.detectMs = detectedAt - applied.startedAt;

  if (applied.endedAt !== null && ['crash', 'hang', 'flap', 'region-outage', 'region-cut'].includes(fault.kind)) {
    // Back = online when the fault was lifted (a flapping operator in its up phase), or online again afterwards.
    const endedAt = applied.endedAt;
    const online = new Map<string, boolean>();
    const back = new Map<string, number>();
    for (const p of c.presence) {
      if (!ops.has(p.operatorId)) continue;
      if (p.ts < endedAt) online.set(p.operatorId, p.online);
      else if (p.online && !back.has(p.operatorId)) back.set(p.operatorId, p.ts);
    }
    for (const [op, isOnline] of online) if (isOnline && !back.has(op)) back.set(op, endedAt);
    figures.rejoined = back.size;
    if (back.size > 0) figures.rejoinMs = Math.max(...back.values()) - endedAt;
  }

  // Throughput of everyone else, before and during the fault.
  const others = fault.region ? plan.regions.filter((r) => r !== fault.region) : plan.regions;
  const from = Math.floor((applied.startedAt - run.t0) / 1000);
  const to = Math.floor(((applied.endedAt ?? run.loadEndedAt) - run.t0) / 1000);
  const perSecond = (a: number, b: number) => {
    if (b <= a) return null;
    let n = 0;
    for (const r of others) for (let s = a; s < b; s++) n += series.perRegion[r]![s] ?? 0;
    return round(n / (b - a), 1);
  };
  figures.othersPerSecondBefore = perSecond(Math.max(0, from - 10), from);
  figures.othersPerSecondDuring = perSecond(from, Math.max(from + 1, to));

  for (const op of ops) figures.dissenting += c.operators.get(op)?.dissenting ?? 0;
  figures.wrongAccepted = c.wrongAccepted.filter((w) => w.agreeing.some((op) => ops.has(op))).length;
  return figures;
}

function lastIndexWhere(values: number[], test: (v: number) => boolean): number {
  for (let i = values.length - 1; i >= 0; i--) if (test(values[i]!)) return i;
  return -1;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
