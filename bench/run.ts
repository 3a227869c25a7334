/**
 * `npm run bench`: every benchmark, in turn, printing figures and how they
 * compare with the targets and with BullMQ. Nothing here passes or fails.
 *
 *   npm run bench                 all sections
 *   npm run bench -- throughput   only the named sections
 */
import { adaptiveBench } from './adaptive.js';
import { bullmqBench } from './bullmq.js';
import { failoverBench } from './failover.js';
import { memoryBench } from './memory.js';
import { runtimeBench } from './runtime-bench.js';
import { runtimeOverheadBench } from './runtime-overhead.js';
import { scaleBench } from './scale.js';
import { fmt, heading, line } from './support.js';
import { benchSchema, dropSchema } from './postgres.js';
import { takeoverBench } from './takeover.js';
import { throughputBench } from './throughput.js';

const wanted = new Set(process.argv.slice(2));
const on = (name: string) => wanted.size === 0 || wanted.has(name);

const Q1_TASKS = 30_000;

async function main(): Promise<void> {
  line(`corten benchmarks on ${(await import('node:os')).cpus().length} cores, node ${process.version}`);
  let q1PerSecond: number | null = null;
  if (on('throughput')) {
    const [q1, q3] = await throughputBench({ q1Tasks: Q1_TASKS });
    q1PerSecond = q1!.perSecond;
    // The same run on PostgreSQL (one coordinator, leader of its schema).
    const { url, schema } = benchSchema('throughput');
    try {
      const [pq1, pq3] = await throughputBench({ q1Tasks: Q1_TASKS, store: url, storeName: 'PostgreSQL' });
      heading('PostgreSQL vs SQLite (same run)');
      line(
        `  quorum 1: ${fmt(pq1!.perSecond)} vs ${fmt(q1!.perSecond)} verified/s = ${fmt(pq1!.perSecond / q1!.perSecond, 2)} of SQLite (target ≥ 0.5)`,
      );
      line(
        `  quorum 3: ${fmt(pq3!.perSecond)} vs ${fmt(q3!.perSecond)} verified/s = ${fmt(pq3!.perSecond / q3!.perSecond, 2)} of SQLite (target ≥ 0.5)`,
      );
    } finally {
      await dropSchema(schema);
    }
  }
  if (on('takeover')) await takeoverBench(10);
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
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
