/**
 * Fault injection is a wrapper around the real agent, not code in it (issue
 * 9, point 4): the faulty transport and executor in src/sim, driven in
 * process over a fake connection, and the production agent free of faults.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type {
  Connection,
  ConnectionEvents,
  ExecutionJob,
  ExecutionOutcome,
  Executor,
  Transport,
} from '../../src/operator/index.js';
import { generateKeyPair, identityId, type EuPackage } from '../../src/protocol/index.js';
import { flipOutput } from '../../src/sim/fact-flip.js';
import { FaultyAgent, FaultyExecutor, FaultyTransport, NO_FAULTS } from '../../src/sim/index.js';

/** A connection that records what the agent sends and lets the test play the coordinator. */
interface FakeLink {
  events: ConnectionEvents;
  sent: string[];
  open: boolean;
  terminated: boolean;
}

function fakeTransport(): Transport & { links: FakeLink[] } {
  const links: FakeLink[] = [];
  return {
    links,
    connect(_url, events): Connection {
      const link: FakeLink = { events, sent: [], open: true, terminated: false };
      links.push(link);
      const end = () => {
        if (!link.open) return;
        link.open = false;
        events.close();
      };
      return {
        get open() {
          return link.open;
        },
        send: (text) => link.sent.push(text),
        close: async () => end(),
        terminate: () => {
          link.terminated = true;
          end();
        },
      };
    },
  };
}

/** What the agent side of a connection heard. */
function listener(): ConnectionEvents & { heard: string[]; closes: number } {
  const l = {
    heard: [] as string[],
    closes: 0,
    message: (data: Buffer) => l.heard.push(data.toString('utf8')),
    close: () => {
      l.closes += 1;
    },
    error: () => undefined,
  };
  return l;
}

const frame = (message: object) => Buffer.from(JSON.stringify(message));

describe('faulty transport', () => {
  it('a silent partition drops traffic both ways on an open connection; a new one waits for heal', () => {
    const inner = fakeTransport();
    const faulty = new FaultyTransport(inner);
    const agentSide = listener();
    const conn = faulty.connect('ws://x', agentSide);
    faulty.partition('silent');
    conn.send('{"t":"hb"}');
    inner.links[0]!.events.message(frame({ t: 'ack', accepted: [], refused: [] }));
    expect(inner.links[0]!.sent).toEqual([]);
    expect(agentSide.heard).toEqual([]);
    expect(conn.open).toBe(true);
    // The coordinator gives up on it; the agent reconnects into the partition.
    inner.links[0]!.events.close();
    expect(agentSide.closes).toBe(1);
    const again = faulty.connect('ws://x', listener());
    expect(inner.links).toHaveLength(1);
    expect(again.open).toBe(false);
    faulty.heal();
    expect(inner.links).toHaveLength(2);
    expect(again.open).toBe(true);
  });

  it('a reset partition drops the connection without a goodbye', () => {
    const inner = fakeTransport();
    const faulty = new FaultyTransport(inner);
    const agentSide = listener();
    faulty.connect('ws://x', agentSide);
    faulty.partition('reset');
    expect(inner.links[0]!.terminated).toBe(true);
    expect(agentSide.closes).toBe(1);
  });

  it('a hung process reads and sends nothing, makes no heartbeat, and does what piled up, in order, on thaw', () => {
    const inner = fakeTransport();
    const faulty = new FaultyTransport(inner);
    const agentSide = listener();
    const conn = faulty.connect('ws://x', agentSide);
    faulty.hang();
    inner.links[0]!.events.message(frame({ t: 'cancel', assignmentIds: ['a'] }));
    conn.send('{"t":"hb","at":1}');
    conn.send('{"t":"results","results":[]}');
    inner.links[0]!.events.close();
    expect(agentSide.heard).toEqual([]);
    expect(inner.links[0]!.sent).toEqual([]);
    expect(agentSide.closes).toBe(0);
    faulty.unhang();
    expect(agentSide.heard).toEqual(['{"t":"cancel","assignmentIds":["a"]}']);
    expect(agentSide.closes).toBe(1);
  });

  it('a crashed process drops its connection and never opens another', () => {
    const inner = fakeTransport();
    const faulty = new FaultyTransport(inner);
    const agentSide = listener();
    faulty.connect('ws://x', agentSide);
    faulty.crash();
    expect(inner.links[0]!.terminated).toBe(true);
    expect(agentSide.closes).toBe(1);
    const after = faulty.connect('ws://x', listener());
    faulty.heal();
    expect(inner.links).toHaveLength(1);
    expect(after.open).toBe(false);
  });

  it("loses the coordinator's cancels when told to, and only those", () => {
    const inner = fakeTransport();
    const faulty = new FaultyTransport(inner);
    faulty.ignoreCancels = true;
    const agentSide = listener();
    faulty.connect('ws://x', agentSide);
    inner.links[0]!.events.message(frame({ t: 'cancel', assignmentIds: ['a'] }));
    const mixed = [
      { t: 'cancel', assignmentIds: ['b'] },
      { t: 'ack', accepted: ['c'], refused: [] },
    ];
    inner.links[0]!.events.message(frame(mixed));
    expect(agentSide.heard).toEqual(['[{"t":"ack","accepted":["c"],"refused":[]}]']);
  });
});

/** An executor whose runs finish when the test says so. */
function manualExecutor(): Executor & { finish: (output: unknown) => void } {
  const waiting: ((o: ExecutionOutcome) => void)[] = [];
  return {
    capabilities: [],
    execute: () => new Promise((resolve) => waiting.push(resolve)),
    close: async () => undefined,
    finish: (output) => waiting.shift()!({ ok: true, output, metrics: { durationMs: 1 } as never }),
  };
}

const HONEST = { text: 'Profits rose 76% in 2004.' };

const honest = (): Executor => ({
  capabilities: [],
  execute: async () => ({ ok: true, output: HONEST, metrics: { durationMs: 1 } as never }),
  close: async () => undefined,
});

const job = (taskId: string, seed = 'ab12cd34'): ExecutionJob => ({
  eu: {} as EuPackage,
  input: null,
  seed,
  clock: 0,
  taskId,
});

async function outputOf(executor: Executor, j: ExecutionJob): Promise<unknown> {
  const outcome = await executor.execute(j);
  return outcome.ok ? outcome.output : outcome.error;
}

/** Lets every pending promise continuation run (no timers are involved). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('faulty executor', () => {
  it('lies alone, colludes with the others, or flips facts; honest when told to stop', async () => {
    const liar = new FaultyExecutor(honest(), 'op_liar', { ...NO_FAULTS, lie: true });
    expect(await outputOf(liar, job('t_1'))).toEqual({ lie: 'op_liar', taskId: 't_1' });
    const a = new FaultyExecutor(honest(), 'op_a', { ...NO_FAULTS, collude: true });
    const b = new FaultyExecutor(honest(), 'op_b', { ...NO_FAULTS, collude: true });
    expect(await outputOf(a, job('t_1'))).toEqual(await outputOf(b, job('t_1')));
    const flipper = new FaultyExecutor(honest(), 'op_f', { ...NO_FAULTS, flip: true });
    expect(await outputOf(flipper, job('t_1'))).toEqual(flipOutput(HONEST));
    liar.setFaults({ lie: false });
    expect(await outputOf(liar, job('t_1'))).toEqual(HONEST);
  });

  it('colluders at a lie rate lie on the same tasks', async () => {
    const a = new FaultyExecutor(honest(), 'op_a', { ...NO_FAULTS, collude: true, lieRate: 0.5 });
    const b = new FaultyExecutor(honest(), 'op_b', { ...NO_FAULTS, collude: true, lieRate: 0.5 });
    const seeds = Array.from({ length: 40 }, (_, i) => ((i * 0x9e3779b1) >>> 0).toString(16).padStart(8, '0'));
    const lies = (e: FaultyExecutor) =>
      Promise.all(
        seeds.map(async (s) => {
          const output = (await outputOf(e, job('t', s))) as object;
          return 'colluded' in output;
        }),
      );
    const [la, lb] = [await lies(a), await lies(b)];
    expect(la).toEqual(lb);
    expect(la.filter(Boolean).length).toBeGreaterThan(0);
    expect(la.filter(Boolean).length).toBeLessThan(seeds.length);
  });

  it('holds a finished run while hung and hands it over on thaw; a crashed one never finishes', async () => {
    const inner = manualExecutor();
    const faulty = new FaultyExecutor(inner, 'op_x');
    let done = false;
    const run = faulty.execute(job('t_1')).then(() => {
      done = true;
    });
    faulty.hang();
    inner.finish({ y: 1 });
    await settle();
    expect(done).toBe(false);
    faulty.unhang();
    await run;
    expect(done).toBe(true);
    let after = false;
    void faulty.execute(job('t_2')).then(() => {
      after = true;
    });
    faulty.crash();
    inner.finish({ y: 2 });
    await settle();
    expect(after).toBe(false);
  });
});

describe('the real agent in the wrappers', () => {
  it('answers the coordinator through the wrapped transport, and not while hung', () => {
    const inner = fakeTransport();
    const keys = generateKeyPair();
    const wrapped = new FaultyAgent({
      coordinatorUrl: 'http://127.0.0.1:1',
      keys,
      region: 'r1',
      maxConcurrent: 1,
      executor: honest(),
      transport: inner,
      resources: { cpu: 1, memoryMb: 1024, gpuMemoryMb: 0, capabilities: [], eus: [] },
      log: pino({ level: 'silent' }),
    });
    expect(wrapped.id).toBe(identityId('op', keys.publicKey.toString('hex')));
    void wrapped.agent.start();
    const link = inner.links[0]!;
    wrapped.hang();
    link.events.message(frame({ t: 'challenge', nonce: 'n', coordinatorId: 'co_1' }));
    expect(link.sent).toEqual([]);
    wrapped.unhang();
    expect(link.sent.map((t) => (JSON.parse(t) as { t: string }).t)).toEqual(['hello']);
    wrapped.crash();
    expect(link.terminated).toBe(true);
    void wrapped.agent.stop();
  });
});

describe('the production agent', () => {
  it('has no fault code, and `corten operator` no --fault', () => {
    const operatorFiles = readdirSync('src/operator').map((f) => join('src/operator', f));
    const faultCode = new RegExp(
      String.raw`\b(crash|hang|unhang|partition|heal|setSlowFactor|setFaults)\s*\(` +
        String.raw`|\b(faults|lateMs|slowMs|shouldLie|wrongOutput|flipOutput|collude)\b`,
    );
    expect(operatorFiles.filter((f) => faultCode.test(readFileSync(f, 'utf8')))).toEqual([]);
    expect(readFileSync('src/cli/operator-command.ts', 'utf8')).not.toMatch(/--fault\b|faults/);
  });
});
