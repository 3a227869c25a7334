/**
 * `npm run bench`: every benchmark, in turn, printing figures and how they
 * compare with the targets and with BullMQ. Nothing here passes or fails.
 *
 *   npm run bench                 all sections
 *   npm run bench -- throughput   only the named sections (throughput, bullmq, failover, memory, runtime,
 *                                 scale, adaptive, workflow)
 *   npm run bench -- search       task search on 100,000 tasks
 *   npm run bench -- openai       the OpenAI-compatible endpoint's overhead
 */
import { adaptiveBench } from './adaptive.js';
import { bullmqBench } from './bullmq.js';
import { failoverBench } from './failover.js';
import { memoryBench } from './memory.js';
import { openaiEndpointBench } from './openai-endpoint.js';
import { runtimeBench } from './runtime-bench.js';
import { runtimeOverheadBench } from './runtime-overhead.js';
import { scaleBench } from './scale.js';
import { searchBench } from './search.js';
import { fmt, heading, line } from './support.js';
import { throughputBench } from './throughput.js';
import { workflowBench } from './workflow.js';

const wanted = new Set(process.argv.slice(2));
const on = (name: string) => wanted.size === 0 || wanted.has(name);

const Q1_TASKS = 30_000;

async function main(): Promise<void> {
  line(`corten benchmarks on ${(await import('node:os')).cpus().length} cores, node ${process.version}`);
  let q1PerSecond: number | null = null;
  if (on('throughput')) {
    const [q1] = await throughputBench({ q1Tasks: Q1_TASKS });
    q1PerSecond = q1!.perSecond;
  }
  if (on('bullmq')) {
    const bull = await bullmqBench(Q1_TASKS);
    if (bull !== null && q1PerSecond !== null) {
      heading('corten vs BullMQ (same trivial jobs)');
      line(
        `  corten quorum 1: ${fmt(q1PerSecond)} verified/s; BullMQ: ${fmt(bull)} jobs/s; ratio corten/BullMQ = ${fmt(q1PerSecond / bull, 2)}`,
      );
      line(
        '  (corten: signed results from untrusted operators, sandboxed, every state change durable with its event; BullMQ: trusted workers, no sandbox, no verification)',
      );
    }
  }
  if (on('failover')) await failoverBench(20);
  if (on('memory')) await memoryBench(100_000);
  if (on('runtime')) {
    await runtimeBench();
    await runtimeOverheadBench();
  }
  if (on('scale')) await scaleBench();
  if (on('adaptive')) await adaptiveBench();
  if (on('search')) await searchBench();
  if (on('openai')) await openaiEndpointBench();
  if (on('workflow')) await workflowBench();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
