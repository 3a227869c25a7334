/**
 * The worker pool: executions queue when every worker is busy, a worker
 * that dies fails its executions with EU_CRASHED and is replaced, requests
 * are validated, and closing the runtime settles everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EuPackage } from '../../src/protocol/index.js';
import { CortenError } from '../../src/protocol/index.js';
import { builtinEuDirs } from '../../src/eus/index.js';
import { createRuntime, loadEuFolder, type SandboxRuntime } from '../../src/runtime/index.js';
import { fixture, startFakeLlm, type FakeLlm } from './support.js';

let double: EuPackage;

beforeAll(async () => {
  double = await loadEuFolder(builtinEuDirs().find((d) => d.endsWith('double'))!);
});

describe('queueing', () => {
  it("queues executions beyond the workers' capacity and runs them all", async () => {
    const runtime = await createRuntime({
      workers: 1,
      maxInFlightPerWorker: 1,
      capabilities: { nlp: false, embed: false },
    });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, x) => runtime.execute({ eu: double, input: { x }, seed: 'a', clock: 0 })),
      );
      expect(outcomes.map((o) => (o.ok ? (o.output as { y: number }).y : o.error.code))).toEqual(
        Array.from({ length: 50 }, (_, x) => 2 * x),
      );
    } finally {
      await runtime.close();
    }
  });

  it('spreads executions over several workers and gives identical results for identical requests', async () => {
    const runtime = await createRuntime({ workers: 2, capabilities: { nlp: false, embed: false } });
    try {
      const probe = await fixture('probe');
      const stripped = {
        ...probe,
        id: `${probe.id}-bare`,
        manifest: { ...probe.manifest, requirements: { ...probe.manifest.requirements, capabilities: [] } },
      };
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, () =>
          runtime.execute({ eu: stripped, input: { probe: 'random' }, seed: 'same', clock: 0 }),
        ),
      );
      expect(new Set(outcomes.map((o) => JSON.stringify(o.ok ? o.output : o.error))).size).toBe(1);
      expect(outcomes[0]!.ok).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});

describe('a worker that dies', () => {
  let llm: FakeLlm;
  let runtime: SandboxRuntime;
  const held: (() => void)[] = [];

  beforeAll(async () => {
    llm = await startFakeLlm((request) => {
      const prompt = request.body.messages.at(-1)?.content ?? '';
      if (prompt.startsWith('Reply with the single word')) return { content: 'ok' };
      return new Promise((resolve) => held.push(() => resolve({ content: 'late' })));
    });
    runtime = await createRuntime({
      workers: 1,
      capabilities: { nlp: false, embed: false, llm: { baseUrl: llm.baseUrl, model: 'm' } },
    });
  });

  afterAll(async () => {
    for (const release of held) release();
    await runtime.close();
    await llm.close();
  });

  it('fails its executions with EU_CRASHED and is replaced', async () => {
    const caller = await fixture('llm-caller');
    // A budget longer than the runtime's cap (60 s), so that only the crash can end the execution.
    const patient = { ...caller, id: `${caller.id}-patient`, manifest: { ...caller.manifest, timeoutMs: 600_000 } };
    const running = runtime.execute({ eu: patient, input: { prompt: 'wait for me' }, seed: 'a', clock: 0 });
    await llm.nextRequestMatching((r) => r.body.messages.at(-1)?.content === 'wait for me');
    await runtime.pool.terminateWorker(0);
    const outcome = await running;
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'EU_CRASHED', message: expect.stringContaining('terminated') },
    });
    expect(await runtime.execute({ eu: double, input: { x: 4 }, seed: 'a', clock: 0 })).toMatchObject({
      ok: true,
      output: { y: 8 },
    });
    expect(runtime.pool.workerCount).toBe(1);
  });
});

describe('requests and closing', () => {
  let runtime: SandboxRuntime;

  beforeAll(async () => {
    runtime = await createRuntime({ workers: 1, capabilities: { nlp: false, embed: false } });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('advertises no capability when none is configured', () => {
    expect(runtime.capabilities).toEqual([]);
    expect(runtime.unavailable).toEqual([]);
  });

  it.each([
    ['an empty seed', { seed: '' }],
    ['a clock that is not a number', { clock: 'now' }],
    ['an infinite clock', { clock: Infinity }],
  ])('rejects %s with VALIDATION_FAILED', async (_what, change) => {
    const request = { eu: double, input: { x: 1 }, seed: 'a', clock: 0, ...change } as never;
    await expect(runtime.execute(request)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses an EU needing a capability the runtime lacks, without running it', async () => {
    const probe = await fixture('probe');
    const outcome = await runtime.execute({ eu: probe, input: { probe: 'calls' }, seed: 'a', clock: 0 });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'EU_REQUIREMENTS_UNMET', message: expect.stringContaining('nlp, embed.text') },
    });
  });

  it('rejects queued and new executions with SHUTTING_DOWN once closed', async () => {
    const closing = await createRuntime({
      workers: 1,
      maxInFlightPerWorker: 1,
      capabilities: { nlp: false, embed: false },
    });
    const loop = await fixture('infinite-loop');
    const running = closing.execute({ eu: loop, input: {}, seed: 'a', clock: 0 });
    const queued = closing.execute({ eu: double, input: { x: 1 }, seed: 'a', clock: 0 });
    const settled = Promise.allSettled([running, queued]);
    await closing.close();
    for (const result of await settled) {
      expect(result.status).toBe('rejected');
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(CortenError);
        expect(result.reason).toMatchObject({ code: 'SHUTTING_DOWN' });
      }
    }
    await expect(closing.execute({ eu: double, input: { x: 1 }, seed: 'a', clock: 0 })).rejects.toMatchObject({
      code: 'SHUTTING_DOWN',
    });
  });
});
