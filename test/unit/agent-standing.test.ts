/**
 * The agent and its standing, in process over a fake connection: it keeps
 * the standing the coordinator tells it, logs every slash and suspension
 * (one pino line each, with the reason), and its metrics follow executions,
 * refusals, reconnects, stake and earnings.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  Agent,
  AgentMetrics,
  portOf,
  serveAgentMetrics,
  type Connection,
  type ConnectionEvents,
  type Executor,
  type Transport,
} from '../../src/operator/index.js';
import { generateKeyPair, type StandingMessage } from '../../src/protocol/index.js';

function fakeTransport(): Transport & { links: ConnectionEvents[] } {
  const links: ConnectionEvents[] = [];
  return {
    links,
    connect(_url, events): Connection {
      links.push(events);
      return { open: true, send: () => {}, close: async () => {}, terminate: () => {} };
    },
  };
}

const executor: Executor = {
  capabilities: [],
  close: async () => {},
  execute: async (job) =>
    (job.input as { fail?: boolean }).fail
      ? { ok: false, error: { code: 'EU_ERROR', message: 'no' }, metrics: { durationMs: 40 } }
      : { ok: true, output: 1, metrics: { durationMs: 12 } },
};

function agentWithLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const transport = fakeTransport();
  const agent = new Agent({
    coordinatorUrl: 'http://127.0.0.1:1',
    keys: generateKeyPair(),
    region: 'r1',
    resources: { cpu: 1, memoryMb: 512, gpuMemoryMb: 0, capabilities: [], eus: [] },
    maxConcurrent: 2,
    executor,
    transport,
    log: pino({ level: 'info' }, sink),
    minBackoffMs: 1,
    maxBackoffMs: 1,
  });
  const deliver = (frame: unknown) => transport.links.at(-1)!.message(Buffer.from(JSON.stringify(frame)));
  return { agent, lines, deliver, transport };
}

const standing = (over: Partial<StandingMessage>): StandingMessage => ({
  t: 'standing',
  status: 'online',
  statusReason: null,
  stake: 200,
  unbonding: 0,
  earnings: 0,
  minStake: 100,
  eligible: true,
  changes: [],
  ...over,
});

const welcome = { t: 'welcome', operatorId: 'op_x', heartbeatIntervalMs: 60_000, resumed: [] };

describe('agent standing', () => {
  it('logs every slash with its reason and every suspension, and keeps the last standing', async () => {
    const { agent, lines, deliver } = agentWithLog();
    const started = agent.start();
    deliver(welcome);
    await started;
    deliver([
      standing({}),
      standing({
        stake: 150,
        changes: [
          { kind: 'slashed', amount: 30, reason: 'dissent', taskId: 't_1' },
          { kind: 'slashed', amount: 20, reason: 'lease_deadline', taskId: 't_2' },
        ],
      }),
    ]);
    deliver(
      standing({
        status: 'suspended',
        statusReason: 'repeated dissent',
        stake: 150,
        eligible: false,
        changes: [{ kind: 'suspended', reason: 'repeated dissent: 2 dissents' }],
      }),
    );
    const slashes = lines.filter((l) => l.standing === 'slashed');
    expect(slashes.map((l) => [l.amount, l.reason, l.taskId, l.level])).toEqual([
      [30, 'dissent', 't_1', 40],
      [20, 'lease_deadline', 't_2', 40],
    ]);
    expect(slashes[0]!.msg).toBe('slashed 30 credits of stake: dissent');
    const suspended = lines.filter((l) => l.standing === 'suspended');
    expect(suspended).toHaveLength(1);
    expect(suspended[0]).toMatchObject({ level: 50, reason: 'repeated dissent: 2 dissents' });
    expect(suspended[0]!.msg).toMatch(/^suspended: repeated dissent: 2 dissents; no work until/);
    expect(agent.standing).toMatchObject({ status: 'suspended', stake: 150, eligible: false });
    // A notice with nothing changed logs nothing.
    const before = lines.length;
    deliver(standing({ earnings: 5 }));
    expect(lines.length).toBe(before);
    await agent.stop();
  });

  it('counts executions per EU, failures, refusals, reconnects, and serves stake and earnings as last told', async () => {
    const { agent, deliver, transport } = agentWithLog();
    const metrics = new AgentMetrics(agent);
    const server = await serveAgentMetrics(metrics, 0);
    const started = agent.start();
    deliver(welcome);
    await started;
    const eu = {
      id: 'eu_1',
      manifest: { name: 'spin', version: '1.2.0' },
      files: {},
    };
    const assignment = (id: string, input: unknown) => ({
      assignmentId: id,
      taskId: `t_${id}`,
      euId: 'eu_1',
      attempt: 1,
      input,
      inputHash: '0'.repeat(64),
      seed: '0',
      clock: 0,
      leaseMs: 10_000,
    });
    const executed = new Promise<void>((resolve) => {
      let n = 0;
      agent.on('executed', () => ++n === 3 && resolve());
    });
    deliver({
      t: 'assign',
      eus: [eu],
      assignments: [assignment('a1', {}), assignment('a2', {}), assignment('a3', { fail: true })],
    });
    await executed;
    deliver({
      t: 'ack',
      accepted: ['a1', 'a2'],
      refused: [{ assignmentId: 'a3', code: 'LEASE_EXPIRED', message: 'late' }],
    });
    deliver(standing({ stake: 170, earnings: 12, changes: [{ kind: 'slashed', amount: 30, reason: 'dissent' }] }));
    // A garbled notice changes no figure and throws nothing.
    deliver({ t: 'standing', stake: 'lots', earnings: null, changes: 5 });
    deliver({ t: 'standing', stake: 170, earnings: 12, changes: [null, { kind: 'slashed', amount: 'all' }] });
    // The link drops and comes back: one reconnect.
    const again = new Promise<void>((resolve) => agent.once('welcome', () => resolve()));
    transport.links.at(-1)!.close();
    await new Promise<void>((resolve) => {
      const wait = () => (transport.links.length > 1 ? resolve() : setImmediate(wait));
      wait();
    });
    deliver(welcome);
    await again;

    const text = await (await fetch(`http://127.0.0.1:${portOf(server)}/metrics`)).text();
    expect(text).toMatch(/corten_operator_tasks_run_total\{eu="spin@1\.2\.0"\} 3/);
    expect(text).toMatch(/corten_operator_tasks_failed_total\{eu="spin@1\.2\.0"\} 1/);
    expect(text).toMatch(/corten_operator_task_duration_seconds_count\{eu="spin@1\.2\.0"\} 3/);
    expect(text).toMatch(/corten_operator_task_duration_seconds_bucket\{le="0\.025",eu="spin@1\.2\.0"\} 2/);
    expect(text).toMatch(/corten_operator_results_refused_total\{code="LEASE_EXPIRED"\} 1/);
    expect(text).toMatch(/corten_operator_reconnects_total 1/);
    expect(text).toMatch(/corten_operator_stake_credits 170/);
    expect(text).toMatch(/corten_operator_earnings_credits 12/);
    expect(text).toMatch(/corten_operator_slashed_credits_total\{reason="dissent"\} 30/);
    expect((await fetch(`http://127.0.0.1:${portOf(server)}/other`)).status).toBe(404);
    server.close();
    await agent.stop();
  });
});
