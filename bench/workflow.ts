/**
 * The workflow layer's cost: jobs of a 2-step workflow of the trivial EU at
 * quorum 1 (the second step reads the first's output) against the same number
 * of plain tasks (two a job) on the same network in the same run, each after a
 * warm-up. The overhead is how much longer the jobs take than their tasks
 * submitted plainly (best of two alternating rounds).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CortenClient } from '../src/client/index.js';
import { MAX_JOB_BATCH } from '../src/protocol/index.js';
import { LocalNetwork } from '../src/sim/index.js';
import { cpuSeconds, fmt, heading, line, trivialEu } from './support.js';

const HOSTS = 2;
const AGENTS_PER_HOST = 50;

const WORKFLOW = {
  name: 'bench-two-steps',
  version: '1.0.0',
  steps: [
    { id: 'first', eu: 'bench-wf', input: { x: '/input/x' } },
    { id: 'second', eu: 'bench-wf', input: { x: '/steps/first/y' } },
  ],
};

async function runJobs(client: CortenClient, count: number, offset: number): Promise<number> {
  const t0 = performance.now();
  const batches = [];
  for (let start = 0; start < count; start += MAX_JOB_BATCH) {
    const inputs = Array.from({ length: Math.min(MAX_JOB_BATCH, count - start) }, (_, i) => ({
      x: offset + start + i,
    }));
    batches.push(client.submitJobs(WORKFLOW.name, inputs));
  }
  const submitted = await Promise.all(batches);
  const after = Math.min(...submitted.map((s) => s.after));
  const done = await client.waitForJobs(
    submitted.flatMap((s) => s.jobIds),
    { after },
  );
  const completed = [...done.values()].filter((s) => s === 'completed').length;
  if (completed !== count) line(`  warning: ${count - completed} jobs did not complete`);
  return (performance.now() - t0) / 1000;
}

async function runTasks(client: CortenClient, count: number, offset: number): Promise<number> {
  const t0 = performance.now();
  const batches = [];
  // Batches of the same size as the jobs', so both paths give the engine turns of the same size.
  for (let start = 0; start < count; start += MAX_JOB_BATCH) {
    const inputs = Array.from({ length: Math.min(MAX_JOB_BATCH, count - start) }, (_, i) => ({
      x: offset + start + i,
    }));
    batches.push(client.submitTasks('bench-wf', inputs));
  }
  const submitted = await Promise.all(batches);
  const after = Math.min(...submitted.map((s) => s.after));
  await client.waitForTasks(
    submitted.flatMap((s) => s.taskIds),
    { after },
  );
  return (performance.now() - t0) / 1000;
}

export async function workflowBench(jobs = 5000): Promise<{ jobsPerSecond: number; overhead: number }> {
  heading(`workflow: ${jobs} jobs of 2 steps (trivial EU, quorum 1) against ${2 * jobs} plain tasks`);
  const dir = mkdtempSync(join(tmpdir(), 'corten-bench-wf-'));
  const network = new LocalNetwork({ dir, coordinatorArgs: ['--no-builtin-eus'] });
  try {
    await network.startCoordinator();
    for (let h = 0; h < HOSTS; h++) {
      const args = ['--count', String(AGENTS_PER_HOST), '--regions', 'eu-west,us-east', '--max-concurrent', '16'];
      await network.startAgentHost(`host-${h}`, [...args, '--workers', '1']);
    }
    const client = network.admin();
    await client.publishEu(trivialEu('bench-wf', 1));
    await client.publishWorkflow(WORKFLOW);
    line(`  ${HOSTS * AGENTS_PER_HOST} agents in ${HOSTS} processes, 16 slots each`);
    // Warm up both paths (EU sent to every agent, sandbox contexts created).
    await runTasks(client, 2000, 1_000_000);
    await runJobs(client, 1000, 2_000_000);
    // Two rounds, alternating, the best of each: the machine is shared, so a single run is noisy.
    let tasksSeconds = Infinity;
    let jobsSeconds = Infinity;
    let tasksCpu = Infinity;
    let jobsCpu = Infinity;
    const pid = network.coordinator!.pid;
    for (let round = 0; round < 2; round++) {
      let cpu0 = cpuSeconds(pid);
      tasksSeconds = Math.min(tasksSeconds, await runTasks(client, 2 * jobs, round * 10 * jobs));
      tasksCpu = Math.min(tasksCpu, cpuSeconds(pid) - cpu0);
      cpu0 = cpuSeconds(pid);
      jobsSeconds = Math.min(jobsSeconds, await runJobs(client, jobs, round * 10 * jobs));
      jobsCpu = Math.min(jobsCpu, cpuSeconds(pid) - cpu0);
    }
    const cpuOverhead = (jobsCpu - tasksCpu) / tasksCpu;
    const overhead = (jobsSeconds - tasksSeconds) / tasksSeconds;
    line(`  plain tasks: ${fmt((2 * jobs) / tasksSeconds)} tasks/s (${fmt(tasksSeconds, 1)} s)`);
    line(
      `  jobs:        ${fmt(jobs / jobsSeconds)} jobs/s = ${fmt((2 * jobs) / jobsSeconds)} tasks/s (${fmt(jobsSeconds, 1)} s)`,
    );
    line(`  overhead of the workflow layer: ${fmt(overhead * 100, 1)}% in time (target: at most 15%)`);
    line(
      `  coordinator CPU per task: ${fmt((tasksCpu / (2 * jobs)) * 1e6)} µs plain, ${fmt((jobsCpu / (2 * jobs)) * 1e6)} µs in jobs (${fmt(cpuOverhead * 100, 1)}% more)`,
    );
    return { jobsPerSecond: jobs / jobsSeconds, overhead };
  } finally {
    await network.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
