/**
 * `corten simulate`: a whole network on this machine under a fault scenario.
 * A real coordinator process, hundreds of real operator agents (hosted many
 * to a process, executing with a cost model), a steady load, and the
 * scenario's faults on their timeline; then a report in the terminal, as
 * JSON, and as a chart.
 *
 *   corten simulate --operators 300 --regions 6 --tasks 20000 --scenario scenarios/regional-outage.yaml
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  buildReport,
  loadScenario,
  parseScenario,
  planScenario,
  renderChart,
  runSimulation,
  type RunOverrides,
} from '../sim/index.js';
import { intOption } from './options.js';
import { reportText } from './simulate-report.js';

interface SimulateOptions {
  scenario?: string;
  operators?: number;
  regions?: number;
  tasks?: number;
  hosts?: number;
  rate?: number;
  seed?: number;
  out: string;
  keep?: boolean;
  quiet?: boolean;
}

export function simulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run a simulated network (a real coordinator, hundreds of agents) through a fault scenario and report')
    .option('--scenario <file>', 'fault scenario, YAML or JSON (see scenarios/); without it, a run with no faults')
    .option('--operators <n>', 'operators (overrides the scenario)', intOption)
    .option('--regions <n>', 'regions (overrides the scenario)', intOption)
    .option('--tasks <n>', 'tasks of the steady load (overrides the scenario)', intOption)
    .option('--hosts <n>', 'agent-host processes (default: one per 250 agents)', intOption)
    .option('--rate <n>', "tasks submitted per second (default: the scenario's, or auto)", Number)
    .option('--seed <n>', 'seed for picking fault victims', intOption)
    .option('--out <dir>', 'folder for report.json and report.html', 'sim-report')
    .option('--keep', "keep the coordinator's data folder and the network log")
    .option('--quiet', 'print only the final report')
    .action(async (opts: SimulateOptions) => runSimulate(opts));
}

async function runSimulate(opts: SimulateOptions): Promise<void> {
  const scenario = opts.scenario
    ? loadScenario(opts.scenario)
    : parseScenario({ name: 'baseline', description: 'no faults' });
  const overrides: RunOverrides = {};
  for (const key of ['operators', 'regions', 'tasks', 'hosts', 'rate', 'seed'] as const) {
    if (opts[key] !== undefined) overrides[key] = opts[key];
  }
  const plan = planScenario(scenario, overrides);
  const dir = mkdtempSync(join(tmpdir(), 'corten-sim-'));
  const say = opts.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
  let lost: number;
  try {
    const run = await runSimulation(plan, { dir, ...(say ? { say } : {}) });
    const report = buildReport(run);
    lost = report.tasks.lost + report.tasks.settledTwice;
    const out = resolve(opts.out);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(out, 'report.html'), renderChart(report));
    process.stdout.write(`${reportText(report)}\n`);
    process.stdout.write(`report: ${join(out, 'report.json')}, chart: ${join(out, 'report.html')}\n`);
  } finally {
    if (opts.keep) process.stderr.write(`data and network log kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
  // Lost work is the one outcome a run must never have: make it fail scripts and CI.
  if (lost > 0) process.exitCode = 3;
}
