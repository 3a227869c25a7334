/**
 * Runs and results cross between the pool and a worker in batches. Whatever
 * happens to the executions of one batch — some fail, time out, cannot be
 * sent, or the worker dies — every outcome reaches the request it belongs
 * to, and a finished result does not wait behind a long execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EuPackage } from '../../src/protocol/index.js';
import { builtinEuDirs } from '../../src/eus/index.js';
import { createRuntime, loadEuFolder, type ExecutionOutcome, type SandboxRuntime } from '../../src/runtime/index.js';
import { fixture, startFakeLlm, type FakeLlm } from './support.js';

let double: EuPackage;

beforeAll(async () => {
  double = await loadEuFolder(builtinEuDirs().find((d) => d.endsWith('double'))!);
});

/** What an outcome says, in one comparable word: the output's y, or the error code. */
function summary(outcome: ExecutionOutcome): unknown {
  return outcome.ok ? ((outcome.output as { y?: unknown }).y ?? outcome.output) : outcome.error.code;
}

describe('batches of mixed executions', () => {
  let runtime: SandboxRuntime;

  beforeAll(async () => {
    runtime = await createRuntime({ workers: 1, maxInFlightPerWorker: 64, capabilities: { nlp: false, embed: false } });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('keeps every result with its request when some fail, time out or cannot be sent', async () => {
    const [thrower, loop, notJson, strict] = await Promise.all([
      fixture('thrower'),
      fixture('infinite-loop'),
      fixture('not-json'),
      fixture('strict-input'),
    ]);
    const requests: { eu: EuPackage; input: unknown; expected: unknown }[] = [];
    for (let x = 0; x < 40; x++) {
      requests.push({ eu: double, input: { x }, expected: 2 * x });
      if (x === 5) requests.push({ eu: thrower, input: { message: 'boom' }, expected: 'EU_THREW' });
      if (x === 10) requests.push({ eu: loop, input: {}, expected: 'EU_TIMEOUT' });
      if (x === 15) requests.push({ eu: notJson, input: { kind: 'nan' }, expected: 'EU_OUTPUT_NOT_JSON' });
      if (x === 20) requests.push({ eu: strict, input: { title: 7 }, expected: 'EU_INPUT_INVALID' });
      // A function cannot be cloned to the worker: its batch is split, and only this run fails.
      if (x === 25) requests.push({ eu: double, input: { x: () => 1 }, expected: 'EU_INPUT_INVALID' });
      if (x === 30) requests.push({ eu: thrower, input: { message: 'later', async: true }, expected: 'EU_THREW' });
    }
    // Submitted in one turn, so the pool sends them to the worker together.
    const outcomes = await Promise.all(
      requests.map((r, i) => runtime.execute({ eu: r.eu, input: r.input, seed: `s${i}`, clock: 0 })),
    );
    expect(outcomes.map(summary)).toEqual(requests.map((r) => r.expected));
  });

  it('sends a finished result before starting an execution that may be long', async () => {
    const loop = await fixture('infinite-loop');
    // The loop is fresh to this worker (a new EU id), so nothing says it is quick.
    const fresh = { ...loop, id: `${loop.id}-fresh` };
    const first = runtime.execute({ eu: double, input: { x: 1 }, seed: 'a', clock: 0 });
    const long = runtime.execute({ eu: fresh, input: {}, seed: 'b', clock: 0 });
    expect(await first).toMatchObject({ ok: true, output: { y: 2 } });
    // Had both results come back in one message, the loop's would already be settled here.
    const pending = Symbol('pending');
    expect(await Promise.race([long, Promise.resolve(pending)])).toBe(pending);
    expect(await long).toMatchObject({ ok: false, error: { code: 'EU_TIMEOUT' } });
  });
});

describe('a worker that dies with a batch in flight', () => {
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
      maxInFlightPerWorker: 64,
      capabilities: { nlp: false, embed: false, llm: { baseUrl: llm.baseUrl, model: 'm' } },
    });
  });

  afterAll(async () => {
    for (const release of held) release();
    await runtime.close();
    await llm.close();
  });

  it('fails only what it held, and every other result stays with its request', async () => {
    const caller = await fixture('llm-caller');
    const patient = { ...caller, id: `${caller.id}-patient`, manifest: { ...caller.manifest, timeoutMs: 600_000 } };
    const before = Array.from({ length: 30 }, (_, x) =>
      runtime.execute({ eu: double, input: { x }, seed: `b${x}`, clock: 0 }),
    );
    const waiting = runtime.execute({ eu: patient, input: { prompt: 'hold on' }, seed: 'w', clock: 0 });
    const after = Array.from({ length: 30 }, (_, x) =>
      runtime.execute({ eu: double, input: { x: 100 + x }, seed: `a${x}`, clock: 0 }),
    );
    await llm.nextRequestMatching((r) => r.body.messages.at(-1)?.content === 'hold on');
    await runtime.pool.terminateWorker(0);

    expect(await waiting).toMatchObject({ ok: false, error: { code: 'EU_CRASHED' } });
    const outcomes = await Promise.all([...before, ...after]);
    const expected = [
      ...Array.from({ length: 30 }, (_, x) => 2 * x),
      ...Array.from({ length: 30 }, (_, x) => 2 * (100 + x)),
    ];
    outcomes.forEach((outcome, i) => {
      // Runs that finished before the worker died kept their results; any it still held failed as crashed.
      expect([expected[i], 'EU_CRASHED']).toContain(summary(outcome));
    });
    const more = await Promise.all(
      Array.from({ length: 20 }, (_, x) => runtime.execute({ eu: double, input: { x }, seed: `m${x}`, clock: 0 })),
    );
    expect(more.map(summary)).toEqual(Array.from({ length: 20 }, (_, x) => 2 * x));
  });
});
