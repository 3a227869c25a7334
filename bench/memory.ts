/**
 * Coordinator memory with a large backlog: 100,000 tasks queued and no
 * operator to run them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalNetwork } from '../src/sim/index.js';
import { fmt, heading, line, memoryMb, trivialEu, versus } from './support.js';

export async function memoryBench(tasks = 100_000): Promise<{ rss: number; peak: number; submitPerSecond: number }> {
  heading(`memory: coordinator with ${fmt(tasks)} tasks queued`);
  const dir = mkdtempSync(join(tmpdir(), 'corten-bench-mem-'));
  const network = new LocalNetwork({ dir, coordinatorArgs: ['--no-builtin-eus'] });
  try {
    await network.startCoordinator();
    const client = network.admin();
    await client.publishEu(trivialEu('bench-q1', 1));
    const pid = network.coordinator!.pid;
    const before = memoryMb(pid);
    const t0 = performance.now();
    for (let start = 0; start < tasks; start += 10_000) {
      await client.submitTasks(
        'bench-q1',
        Array.from({ length: Math.min(10_000, tasks - start) }, (_, i) => ({ x: start + i })),
      );
    }
    const submitPerSecond = tasks / ((performance.now() - t0) / 1000);
    const stats = await client.stats();
    const after = memoryMb(pid);
    line(
      `  queued ${fmt(stats.tasks.queued)} tasks at ${fmt(submitPerSecond)} submissions/s (each durable, with its event)`,
    );
    line(
      `  coordinator RSS ${fmt(before.rss)} MB idle → ${fmt(after.rss)} MB with the backlog, peak ${fmt(after.peak)} MB (${versus(after.peak, 500, false)} MB)`,
    );
    return { rss: after.rss, peak: after.peak, submitPerSecond };
  } finally {
    await network.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
