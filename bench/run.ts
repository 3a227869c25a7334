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
import { benchSchema, dropSchema } from './postgres.js';
import { takeoverBench } from './takeover.js';
import { Scorecard } from './targets.js';
import { throughputBench } from './throughput.js';
import { workflowBench } from './workflow.js';

const wanted = new Set(process.argv.slice(2));
const on = (name: string) => wanted.size === 0 || wanted.has(name);

const Q1_TASKS = 30_000;

async function main(): Promise<void> {
  line(`corten benchmarks on ${(await import('node:os')).cpus().length} cores, node ${process.version}`);
  const card = new Scorecard();
  let q1PerSecond: number | null = null;
  let q3PerSecond: number | null = null;
  if (on('throughput')) {
    const [q1, q3] = await throughputBench({ q1Tasks: Q1_TASKS });
    q1PerSecond = q1!.perSecond;
    q3PerSecond = q3!.perSecond;
    card.set('q1PerSecond', q1PerSecond);
    card.set('q3PerSecond', q3PerSecond);
    card.set('q1CoordinatorUs', q1!.cpuPerTaskUs.coordinator);
    card.set('q1OperatorsUs', q1!.cpuPerTaskUs.operators);
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
    if (bull !== null && q1PerSecond !== null && q3PerSecond !== null) {
      heading('corten vs BullMQ (same trivial jobs)');
      card.set('q1VsBullmq', q1PerSecond / bull);
      card.set('q3VsBullmq', q3PerSecond / bull);
      line(
        `  corten quorum 1: ${fmt(q1PerSecond)} verified/s; BullMQ: ${fmt(bull)} jobs/s; ratio corten/BullMQ = ${fmt(q1PerSecond / bull, 2)}`,
      );
      line(`  corten quorum 3: ${fmt(q3PerSecond)} verified/s; ratio = ${fmt(q3PerSecond / bull, 2)}`);
      line(
        '  (corten: signed results from untrusted operators, sandboxed, every state change durable with its event; BullMQ: trusted workers, no sandbox, no verification)',
      );
    }
  }
  if (on('failover')) card.set('failoverP99Ms', (await failoverBench(20)).p99);
  if (on('memory')) card.set('memory100kMb', (await memoryBench(100_000)).rss);
  if (on('runtime')) {
    card.set('sandboxOverhead', (await runtimeBench()).overhead);
    await runtimeOverheadBench();
  }
  if (on('scale')) {
    const rows = await scaleBench();
    const big = rows.filter((r) => r.operators === 5000);
    if (big.length > 0) {
      const worst = (f: (r: (typeof big)[number]) => number) => Math.max(...big.map(f));
      card.set(
        'scale5000SchedP99Ms',
        worst((r) => schedP99(r.report.coordinator.scheduling)),
      );
      card.set(
        'scale5000RssMb',
        worst((r) => r.report.coordinator.peakRssMb),
      );
      card.set(
        'scale5000Cores',
        worst((r) => r.report.coordinator.meanCores),
      );
    }
    if (rows.length > 0)
      card.set(
        'scaleLeasesLost',
        rows.reduce((n, r) => n + r.report.work.leasesLost, 0),
      );
  }
  if (on('adaptive')) await adaptiveBench();
  if (on('search')) await searchBench();
  if (on('openai')) await openaiEndpointBench();
  if (on('workflow')) await workflowBench();
  card.print();
}

/** A histogram p99 (null past the last bucket: then at least that bucket's bound). */
function schedP99(s: { p99Ms: number | null; maxBucketMs?: number } | null | undefined): number {
  if (!s) return NaN;
  return s.p99Ms ?? s.maxBucketMs ?? NaN;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
