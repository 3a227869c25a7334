/**
 * Failover: how long from an operator's death (SIGKILL) until every task it
 * held is reassigned to another operator. Repeated over many kills; each
 * victim is the operator holding the most leases at that moment, and a fresh
 * operator replaces it so capacity stays the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CortenEvent } from '../src/protocol/index.js';
import { LocalNetwork } from '../src/sim/index.js';
import { fmt, heading, line, percentile, versus } from './support.js';

const REGIONS = ['eu-west', 'us-east', 'ap-south'];

function slowEu() {
  return {
    manifest: {
      name: 'bench-slow',
      version: '1.0.0',
      verification: { policy: 'exact', quorum: 1, maxReplicas: 3 },
      timeoutMs: 20_000,
      requirements: { cpu: 1, memoryMb: 16, capabilities: [] },
    },
    files: {
      'main.js':
        'export function run(input) { let h = input.n; for (let i = 0; i < 3000000; i++) h = (h * 31 + i) % 1000003; return { h }; }\n',
    },
  };
}

export async function failoverBench(kills = 20): Promise<{ p50: number; p99: number; samples: number[] }> {
  heading(`failover: SIGKILL an operator holding leases, time until all its tasks are reassigned (${kills} kills)`);
  const dir = mkdtempSync(join(tmpdir(), 'corten-bench-fo-'));
  const network = new LocalNetwork({ dir, coordinatorArgs: ['--no-builtin-eus'] });
  const samples: number[] = [];
  try {
    await network.startCoordinator();
    await network.startOperators(
      Array.from({ length: 6 }, (_, i) => ({
        region: REGIONS[i % 3]!,
        maxConcurrent: 2,
        workers: 1,
        capabilities: [],
      })),
    );
    const client = network.admin();
    await client.publishEu(slowEu());
    const events: CortenEvent[] = [];
    let onEvent: ((e: CortenEvent) => void) | null = null;
    const stream = client.stream({ after: 0 }, (e) => {
      events.push(e);
      onEvent?.(e);
    });
    await stream.ready;

    for (let k = 0; k < kills; k++) {
      const { taskIds } = await client.submitTasks(
        'bench-slow',
        Array.from({ length: 6 }, (_, i) => ({ n: k * 100 + i })),
      );
      const mine = new Set(taskIds);
      // Wait until every task of the round holds a lease, then kill an operator holding one.
      await waitUntil(
        () => events.filter((e) => e.type === 'task.assigned' && mine.has(e.taskId!)).length >= 6,
        (f) => (onEvent = f),
      );
      const holders = new Map<string, number>();
      for (const e of events)
        if (e.type === 'task.assigned' && mine.has(e.taskId!))
          holders.set(e.operatorId!, (holders.get(e.operatorId!) ?? 0) + 1);
      const alive = network.operators.filter((o) => o.running && holders.has(o.operatorId));
      const victim = alive.sort((a, b) => holders.get(b.operatorId)! - holders.get(a.operatorId)!)[0]!;
      const lost = holders.get(victim.operatorId)!;
      const killedAt = Date.now();
      victim.child.kill('SIGKILL');
      const moved = () =>
        events.filter(
          (e) =>
            e.type === 'task.reassigned' &&
            (e.data as { replaces: { operatorId: string } }).replaces.operatorId === victim.operatorId,
        );
      await waitUntil(
        () => moved().length >= lost,
        (f) => (onEvent = f),
      );
      samples.push(Math.max(...moved().map((e) => e.ts)) - killedAt);
      await network.startOperator({ region: victim.region, maxConcurrent: 2, workers: 1, capabilities: [] });
      await client.waitForTasks(taskIds, { after: 0 });
    }
    stream.close();
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    line(
      `  death → reassigned: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms, max ${fmt(Math.max(...samples))} ms over ${samples.length} kills (${versus(p99, 2000, false)} ms)`,
    );
    return { p50, p99, samples };
  } finally {
    await network.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves once `check` holds, re-checking on every event. */
function waitUntil(check: () => boolean, install: (f: ((e: CortenEvent) => void) | null) => void): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    install(() => {
      if (check()) {
        install(null);
        resolve();
      }
    });
  });
}
