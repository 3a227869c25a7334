/**
 * Adaptive replication against full replication, on a real network: a
 * coordinator process and 20 operator agents (cost-model executors) in two
 * host processes, 10% of them lying, quorum-2 tasks. For each policy and
 * kind of liar it prints the executions per accepted result and the wrong
 * outputs accepted.
 *
 *   npm run bench -- adaptive
 *
 * Executions are results received (work an operator finished and the
 * coordinator counted); started leases are printed too. A wrong output is a
 * verified output other than the one the cost model gives honest operators.
 * "steady" figures leave out the first half of the tasks, while streaks
 * are still being built.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashJson, type CortenEvent, type PublishEuRequest } from '../src/protocol/index.js';
import { costModelOutput, LocalNetwork } from '../src/sim/index.js';
import { fmt, heading, line } from './support.js';

export interface AdaptiveScenario {
  label: string;
  adaptive: boolean;
  /** Fault spec of the lying agents, e.g. `lie` or `lie,lieRate=0.2`. */
  liarFault: string;
  honest: number;
  liars: number;
  tasks: number;
  /** Extra coordinator flags. */
  coordinatorArgs?: string[];
}

export interface AdaptiveFigures {
  label: string;
  tasks: number;
  verified: number;
  results: number;
  leases: number;
  executionsPerResult: number;
  steadyExecutionsPerResult: number;
  wrongAccepted: number;
  soloVerdicts: number;
  suspendedLiars: number;
  seconds: number;
  events: CortenEvent[];
  taskIds: string[];
  liarIds: string[];
}

const EU_NAME = 'adaptive-bench';

function benchEu(): PublishEuRequest {
  return {
    manifest: {
      name: EU_NAME,
      version: '1.0.0',
      description: 'cost-model workload for the adaptive replication benchmark',
      verification: { policy: 'exact', quorum: 2, maxReplicas: 5 },
      timeoutMs: 5000,
      requirements: { cpu: 1, memoryMb: 16, capabilities: [] },
      inputSchema: { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] },
    },
    files: { 'main.js': 'export function run(input) { return input; }\n' },
  };
}

export async function runAdaptiveScenario(s: AdaptiveScenario): Promise<AdaptiveFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'corten-bench-adaptive-'));
  const network = new LocalNetwork({
    dir,
    coordinatorArgs: [
      '--no-builtin-eus',
      ...(s.adaptive ? ['--adaptive-replication'] : []),
      ...(s.coordinatorArgs ?? []),
    ],
  });
  try {
    await network.startCoordinator();
    const cost = [
      '--executor',
      'cost',
      '--cost-median-ms',
      '5',
      '--cost-sigma',
      '0.3',
      '--max-concurrent',
      '4',
      '--regions',
      'eu-west,us-east,ap-south',
    ];
    const client = network.admin();
    await network.startAgentHost('honest', ['--count', String(s.honest), ...cost]);
    const before = new Set((await client.listOperators()).map((o) => o.id));
    await network.startAgentHost('liars', [
      '--count',
      String(s.liars),
      '--fault',
      s.liarFault,
      '--first-index',
      String(s.honest),
      ...cost,
    ]);
    const liarIds = (await client.listOperators()).map((o) => o.id).filter((id) => !before.has(id));
    await client.publishEu(benchEu());

    const inputs = Array.from({ length: s.tasks }, (_, x) => ({ x }));
    const t0 = performance.now();
    const taskIds: string[] = [];
    let after = -1;
    // Batches in order, so "the second half" is the later-submitted half.
    for (let i = 0; i < inputs.length; i += 500) {
      const r = await client.submitTasks(EU_NAME, inputs.slice(i, i + 500));
      taskIds.push(...r.taskIds);
      if (after < 0) after = r.after;
    }
    await client.waitForTasks(taskIds, { after });
    const seconds = (performance.now() - t0) / 1000;
    const events = await client.allEvents({ after });
    return { ...measure(s, events, taskIds, liarIds), seconds, events, taskIds, liarIds };
  } finally {
    await network.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(s: AdaptiveScenario, events: CortenEvent[], taskIds: string[], liarIds: string[]) {
  const index = new Map(taskIds.map((id, i) => [id, i]));
  const steady = (taskId: string | null) => taskId !== null && (index.get(taskId) ?? 0) >= taskIds.length / 2;
  let results = 0;
  let steadyResults = 0;
  let leases = 0;
  let verified = 0;
  let steadyVerified = 0;
  let wrong = 0;
  let solo = 0;
  const liars = new Set(liarIds);
  const suspended = new Set<string>();
  for (const e of events) {
    if (e.type === 'result.received') {
      results += 1;
      if (steady(e.taskId)) steadyResults += 1;
    } else if (e.type === 'task.assigned' || e.type === 'task.reassigned') {
      leases += 1;
    } else if (e.type === 'task.verified') {
      verified += 1;
      if (steady(e.taskId)) steadyVerified += 1;
      const data = e.data as { outputHash: string; solo: boolean };
      if (data.solo) solo += 1;
      const x = index.get(e.taskId!)!;
      if (data.outputHash !== hashJson(costModelOutput(EU_NAME, { x }))) wrong += 1;
    } else if (e.type === 'operator.suspended' && liars.has(e.operatorId!)) {
      suspended.add(e.operatorId!);
    }
  }
  return {
    label: s.label,
    tasks: s.tasks,
    verified,
    results,
    leases,
    executionsPerResult: results / Math.max(1, verified),
    steadyExecutionsPerResult: steadyResults / Math.max(1, steadyVerified),
    wrongAccepted: wrong,
    soloVerdicts: solo,
    suspendedLiars: suspended.size,
  };
}

export async function adaptiveBench(tasks = 4000): Promise<AdaptiveFigures[]> {
  heading(
    'adaptive replication: executions per accepted result and wrong outputs accepted, 20 operators, 10% lying, quorum 2',
  );
  const scenarios: AdaptiveScenario[] = [];
  for (const [liarFault, kind] of [
    ['lie', 'liars (always)'],
    ['lie,lieRate=0.2', 'liars (20% of tasks)'],
    ['lie,lieRate=0.05', 'liars (5% of tasks)'],
  ] as const) {
    scenarios.push({ label: `full quorum 2, ${kind}`, adaptive: false, liarFault, honest: 18, liars: 2, tasks });
    scenarios.push({ label: `adaptive,      ${kind}`, adaptive: true, liarFault, honest: 18, liars: 2, tasks });
    // An intermittent liar looks honest until a checked task catches it: more spot checks catch it sooner, at a cost.
    if (liarFault !== 'lie') {
      scenarios.push({
        label: `adaptive, spot 0.25, ${kind}`,
        adaptive: true,
        liarFault,
        honest: 18,
        liars: 2,
        tasks,
        coordinatorArgs: ['--spot-check-rate', '0.25'],
      });
    }
  }
  const out: AdaptiveFigures[] = [];
  for (const s of scenarios) {
    const f = await runAdaptiveScenario(s);
    out.push(f);
    line(
      `  ${f.label.padEnd(44)} ${fmt(f.verified)}/${fmt(f.tasks)} verified; executions/result ${fmt(f.executionsPerResult, 3)} (steady ${fmt(f.steadyExecutionsPerResult, 3)}; leases ${fmt(f.leases)}); wrong accepted ${f.wrongAccepted}; solo ${fmt(f.soloVerdicts)}; liars suspended ${f.suspendedLiars}/2; ${fmt(f.seconds, 1)} s`,
    );
  }
  line(
    '  (target: adaptive ≤ 1.3 executions per result, with no more wrong outputs accepted than full quorum-2 replication)',
  );
  return out;
}
