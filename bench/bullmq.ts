/**
 * The same trivial workload through BullMQ on the local Redis: what a
 * TypeScript developer would pick instead. BullMQ runs each job once, on
 * trusted workers, with no verification; corten runs it in a sandbox on
 * untrusted operators and verifies it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { packageRoot } from '../src/sim/index.js';
import { fmt, heading, line } from './support.js';

const WORKERS = 4;
const CONCURRENCY = 50;

function startWorker(queueName: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(packageRoot(), 'dist', 'bench', 'bullmq-worker.js'), queueName, String(CONCURRENCY)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => l.includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`bullmq worker exited with ${code}`)));
  });
}

export async function bullmqBench(tasks: number): Promise<number | null> {
  heading(
    `BullMQ on local Redis: the same ${fmt(tasks)} trivial jobs, ${WORKERS} worker processes × concurrency ${CONCURRENCY}`,
  );
  const connection = { host: '127.0.0.1', port: 6379 };
  const queueName = `corten-bench-${process.pid}`;
  const queue = new Queue(queueName, { connection });
  const workers: ChildProcess[] = [];
  try {
    await queue.waitUntilReady();
    for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(queueName));
    const t0 = performance.now();
    for (let start = 0; start < tasks; start += 5000) {
      const n = Math.min(5000, tasks - start);
      await queue.addBulk(
        Array.from({ length: n }, (_, i) => ({
          name: 'double',
          data: { x: start + i },
          opts: { removeOnComplete: true },
        })),
      );
    }
    // Completed jobs are removed, so the run is over when nothing waits or runs. (QueueEvents
    // trims its stream at 10,000 events by default and can miss completions in a burst.)
    for (;;) {
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused');
      if (Object.values(counts).every((n) => n === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const perSecond = tasks / ((performance.now() - t0) / 1000);
    line(`  ${fmt(tasks)} jobs completed: ${fmt(perSecond)} jobs/s`);
    return perSecond;
  } catch (error) {
    line(`  BullMQ run failed (is Redis up on 127.0.0.1:6379?): ${(error as Error).message}`);
    return null;
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}
