/**
 * Runs one chaos scenario (a YAML file next to this one) through the
 * simulator, at the scale the file gives: a real coordinator process and
 * real agents over real WebSockets, with the cost model for execution.
 * The data folder and network log are kept when the test fails.
 */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  buildReport,
  loadScenario,
  planScenario,
  runSimulation,
  type SimPlan,
  type SimReport,
  type SimulationRun,
} from '../../src/sim/index.js';
import { tempDir } from '../helpers/temp.js';

const kept: { cleanup: (failed: boolean) => void }[] = [];

afterEach((context) => {
  const failed = context.task.result?.state === 'fail';
  while (kept.length > 0) kept.pop()!.cleanup(failed);
});

export interface ChaosRun {
  plan: SimPlan;
  run: SimulationRun;
  report: SimReport;
  /** Operator id of agent number i. */
  operatorOf: (index: number) => string;
}

export async function runChaos(file: string): Promise<ChaosRun> {
  const plan = planScenario(loadScenario(join(import.meta.dirname, 'scenarios', file)));
  const dir = tempDir(plan.name);
  kept.push(dir);
  const run = await runSimulation(plan, { dir: dir.path });
  return { plan, run, report: buildReport(run), operatorOf: (i) => run.agents[i]!.operatorId };
}
