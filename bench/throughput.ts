/**
 * Verified tasks per second, end to end: a coordinator process, 200 operator
 * connections (agents hosted in a few processes, each running the real
 * sandbox), a trivial EU, and a client that submits in batches and follows
 * the event stream until every task is verified.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CortenClient } from '../src/client/index.js';
import { LocalNetwork } from '../src/sim/index.js';
import { cpuSeconds, fmt, heading, line, trivialEu, versus } from './support.js';

export interface ThroughputFigures {
  quorum: number;
  tasks: number;
  seconds: number;
  perSecond: number;
  coordinatorCores: number;
  /** CPU time per verified task, µs: coordinator, operator hosts, this client. */
  cpuPerTaskUs: { coordinator: number; operators: number; client: number };
}

const HOSTS = 4;
const AGENTS_PER_HOST = 50;
const REGIONS = ['eu-west', 'us-east', 'ap-south'];

async function submitAll(
  client: CortenClient,
  eu: string,
  count: number,
  batch: number,
  offset: number,
): Promise<{ ids: string[]; after: number }> {
  const ids: string[] = [];
  let after = -1;
  const batches: Promise<void>[] = [];
  for (let start = 0; start < count; start += batch) {
    const inputs = Array.from({ length: Math.min(batch, count - start) }, (_, i) => ({ x: offset + start + i }));
    batches.push(
      client.submitTasks(eu, inputs).then((r) => {
        ids.push(...r.taskIds);
        if (after < 0 || r.after < after) after = r.after;
      }),
    );
  }
  await Promise.all(batches);
  return { ids, after };
}

async function measure(
  client: CortenClient,
  coordinatorPid: number,
  hostPids: number[],
  eu: string,
  quorum: number,
  tasks: number,
): Promise<ThroughputFigures> {
  // Warm up: EU sent to every agent, sandbox contexts created.
  const warm = await submitAll(client, eu, 2000, 1000, 1_000_000);
  await client.waitForTasks(warm.ids, { after: warm.after });

  const hostsCpu = () => hostPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const cpu0 = cpuSeconds(coordinatorPid);
  const hosts0 = hostsCpu();
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const run = await submitAll(client, eu, tasks, 5000, 0);
  const settled = await client.waitForTasks(run.ids, { after: run.after });
  const seconds = (performance.now() - t0) / 1000;
  const coordinatorCpu = cpuSeconds(coordinatorPid) - cpu0;
  const clientUsage = process.cpuUsage(client0);
  const verified = [...settled.values()].filter((s) => s === 'verified').length;
  if (verified !== tasks) line(`  warning: ${tasks - verified} tasks did not verify`);
  const perTask = (cpu: number) => (cpu / verified) * 1e6;
  return {
    quorum,
    tasks,
    seconds,
    perSecond: verified / seconds,
    coordinatorCores: coordinatorCpu / seconds,
    cpuPerTaskUs: {
      coordinator: perTask(coordinatorCpu),
      operators: perTask(hostsCpu() - hosts0),
      client: perTask((clientUsage.user + clientUsage.system) / 1e6),
    },
  };
}

export async function throughputBench(
  opts: { q1Tasks?: number; q3Tasks?: number; store?: string; storeName?: string } = {},
): Promise<ThroughputFigures[]> {
  heading(`throughput on ${opts.storeName ?? 'SQLite'}: verified tasks/s, trivial EU, 200 operator connections`);
  const dir = mkdtempSync(join(tmpdir(), 'corten-bench-tp-'));
  const storeArgs = opts.store ? ['--store', opts.store] : [];
  const network = new LocalNetwork({ dir, coordinatorArgs: ['--no-builtin-eus', ...storeArgs] });
  try {
    await network.startCoordinator();
    for (let h = 0; h < HOSTS; h++) {
      await network.startAgentHost(`host-${h}`, [
        '--count',
        String(AGENTS_PER_HOST),
        '--regions',
        REGIONS.join(','),
        '--max-concurrent',
        '16',
        '--workers',
        '1',
      ]);
    }
    const client = network.admin();
    await client.publishEu(trivialEu('bench-q1', 1));
    await client.publishEu(trivialEu('bench-q3', 3));
    line(
      `  ${HOSTS * AGENTS_PER_HOST} agents in ${HOSTS} processes, 3 regions, 16 slots each; coordinator in its own process`,
    );
    const pid = network.coordinator!.pid;
    const hostPids = network.hosts.map((h) => h.pid);
    const cpuLine = (f: ThroughputFigures) =>
      line(
        `    CPU per verified task: coordinator ${fmt(f.cpuPerTaskUs.coordinator)} µs, operators ${fmt(f.cpuPerTaskUs.operators)} µs, client ${fmt(f.cpuPerTaskUs.client)} µs`,
      );
    const q1 = await measure(client, pid, hostPids, 'bench-q1', 1, opts.q1Tasks ?? 30_000);
    line(
      `  quorum 1: ${fmt(q1.tasks)} tasks in ${fmt(q1.seconds, 2)} s = ${fmt(q1.perSecond)} verified/s (${versus(q1.perSecond, 5000, true)}); coordinator used ${fmt(q1.coordinatorCores, 2)} cores`,
    );
    cpuLine(q1);
    const q3 = await measure(client, pid, hostPids, 'bench-q3', 3, opts.q3Tasks ?? 12_000);
    line(
      `  quorum 3: ${fmt(q3.tasks)} tasks in ${fmt(q3.seconds, 2)} s = ${fmt(q3.perSecond)} verified/s (${fmt(q3.perSecond * 3)} executions/s; ${versus(q3.perSecond, 2000, true)}); coordinator used ${fmt(q3.coordinatorCores, 2)} cores`,
    );
    cpuLine(q3);
    return [q1, q3];
  } finally {
    await network.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
