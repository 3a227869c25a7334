/**
 * Takeover: how long from the leader's death (SIGKILL) until the new leader
 * makes its first assignment. Three coordinators on one PostgreSQL schema, a
 * backlog of short tasks so there is always work to place; each round kills
 * whichever coordinator leads, times the first `task.assigned` after the
 * next leader's `coordinator.started` (seen on the event stream of the
 * survivors), and brings the killed one back as a follower.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CortenClient } from '../src/client/index.js';
import type { CortenEvent } from '../src/protocol/index.js';
import { CoordinatorCluster } from '../src/sim/index.js';
import { benchSchema, dropSchema, epochReader } from './postgres.js';
import { fmt, heading, line, percentile, versus } from './support.js';

/** A lease of 1.5 s: the figure a quiet network gets (the default, 3 s, rides out a loaded machine). */
const LEASE_MS = 1500;

/**
 * Tasks of a few tens of milliseconds: long enough that every operator holds one when the leader dies, short
 * enough that a slot frees soon after the new leader is up, so the figure is the takeover's and not the EU's.
 */
function slowEu() {
  return {
    manifest: {
      name: 'bench-takeover',
      version: '1.0.0',
      verification: { policy: 'exact', quorum: 1, maxReplicas: 3 },
      timeoutMs: 20_000,
      requirements: { cpu: 1, memoryMb: 16, capabilities: [] },
    },
    files: {
      'main.js':
        'export function run(input) { let h = input.n; for (let i = 0; i < 200000; i++) h = (h * 31 + i) % 1000003; return { h }; }\n',
    },
  };
}

export async function takeoverBench(kills = 10): Promise<{ p50: number; p99: number; samples: number[] }> {
  heading(
    `takeover: SIGKILL the leader of 3 coordinators, time until the new leader's first assignment (${kills} kills)`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'corten-bench-to-'));
  const { url, schema } = benchSchema('takeover');
  const cluster = new CoordinatorCluster({
    dir,
    store: url,
    size: 3,
    coordinatorArgs: ['--no-builtin-eus', '--leader-lease-ms', String(LEASE_MS)],
  });
  const samples: number[] = [];
  const watch = new AbortController();
  try {
    await cluster.start();
    await cluster.network.startOperators(
      Array.from({ length: 6 }, (_, i) => ({ region: ['eu-west', 'us-east', 'ap-south'][i % 3]!, maxConcurrent: 1 })),
    );
    const admin = cluster.network.admin();
    await admin.publishEu(slowEu());
    const events: CortenEvent[] = [];
    const waiters: (() => void)[] = [];
    const arrivedAt = new Map<number, number>();
    const watcher = new CortenClient(cluster.urls, { adminToken: cluster.network.adminToken });
    void (async () => {
      for await (const e of watcher.follow({}, { signal: watch.signal, minDelayMs: 20 })) {
        events.push(e);
        arrivedAt.set(e.seq, performance.now());
        for (const w of waiters.splice(0)) w();
      }
    })().catch(() => undefined);
    const next = async (predicate: (e: CortenEvent) => boolean, from: number): Promise<CortenEvent> => {
      for (;;) {
        const found = events.find((e) => e.seq > from && predicate(e));
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    // The claim, seen in the database: the epoch moves before the new leader rebuilds.
    const lease = await epochReader(schema);
    const claimed = async (after: number): Promise<void> => {
      while ((await lease.read()) <= after) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const parts: Record<'claim' | 'rebuild' | 'operators' | 'stream', number[]> = {
      claim: [],
      rebuild: [],
      operators: [],
      stream: [],
    };
    let epoch = 1;
    let n = 0;
    for (let k = 0; k < kills; k++) {
      // A backlog the six operators cannot finish before the kill.
      await admin.submitTasks(
        'bench-takeover',
        Array.from({ length: 30 }, () => ({ n: n++ })),
      );
      const mark = events.length > 0 ? events[events.length - 1]!.seq : 0;
      await next((e) => e.type === 'task.assigned', mark);
      const leader = cluster.leader()!;
      const before = events.length > 0 ? events[events.length - 1]!.seq : 0;
      const ready = cluster.waitForRole(-1, (r) => r.role === 'leader' && r.epoch > epoch);
      const killedAt = performance.now();
      const killedWall = Date.now();
      await leader.proc.kill('SIGKILL');
      await claimed(epoch);
      const claimAt = performance.now();
      const elected = await ready;
      if (elected.role === 'leader') epoch = elected.epoch;
      const started = await next((e) => e.type === 'coordinator.started', before);
      const assigned = await next((e) => e.type === 'task.assigned', started.seq);
      const total = arrivedAt.get(assigned.seq)! - killedAt;
      samples.push(total);
      // The assignment's own timestamp (the new leader's clock, this machine's) splits placing from streaming.
      const assignedAfter = assigned.ts - killedWall;
      parts.claim.push(claimAt - killedAt);
      parts.rebuild.push(elected.at - claimAt);
      parts.operators.push(assignedAfter - (elected.at - killedAt));
      parts.stream.push(total - assignedAfter);
      await cluster.startMember(leader.index);
    }
    await lease.close();
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    line(
      `  lease ${LEASE_MS} ms: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms over ${samples.length} kills (${versus(p99, 2000, false)})`,
    );
    for (const [part, values] of Object.entries(parts)) {
      line(`    ${part.padEnd(9)} p50 ${fmt(percentile(values, 50))} ms, p99 ${fmt(percentile(values, 99))} ms`);
    }
    line(
      '    (claim: kill to the epoch moving; rebuild: to the new leader serving; operators: to its first assignment; stream: to a client)',
    );
    line('  (Kubernetes takes 40-50 s to call a node dead, Ray 20-55 s)');
    return { p50, p99, samples };
  } finally {
    watch.abort();
    await cluster.stop();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }
}
