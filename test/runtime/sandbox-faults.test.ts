/**
 * Every way an EU can misbehave fails its execution with a stable code, and
 * the runtime keeps working: after each failure a normal execution on the
 * same runtime (one worker, so the same thread) succeeds.
 */
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EuPackage } from '../../src/protocol/index.js';
import { createRuntime, loadEuFolder, type SandboxRuntime } from '../../src/runtime/index.js';
import { builtinEuDirs } from '../../src/eus/index.js';
import { fixture } from './support.js';

let runtime: SandboxRuntime;
let double: EuPackage;
let seq = 0;

function exec(eu: EuPackage, input: unknown) {
  seq++;
  return runtime.execute({ eu, input, seed: `seed-${seq}`, clock: 1_700_000_000_000 });
}

async function expectStillWorks(): Promise<void> {
  const outcome = await exec(double, { x: 21 });
  expect(outcome).toMatchObject({ ok: true, output: { y: 42 } });
}

beforeAll(async () => {
  // A 64 MB cap keeps the memory-hog test quick: the worker heap it fills is 2 × 64 + 64 MB.
  runtime = await createRuntime({ workers: 1, limits: { memoryMb: 64 } });
  double = await loadEuFolder(builtinEuDirs().find((d) => d.endsWith('double'))!);
});

afterAll(async () => {
  await runtime.close();
});

describe('sandbox faults', () => {
  it('stops an infinite loop with EU_TIMEOUT', async () => {
    const outcome = await exec(await fixture('infinite-loop'), {});
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('EU_TIMEOUT');
    expect(outcome.error.message).toMatch(/200 ms of CPU time/);
    await expectStillWorks();
  });

  it('stops memory exhaustion with EU_OUT_OF_MEMORY', async () => {
    const outcome = await exec(await fixture('memory-hog'), {});
    expect(outcome).toMatchObject({ ok: false, error: { code: 'EU_OUT_OF_MEMORY' } });
    await expectStillWorks();
  });

  it('replaces a context whose evaluated modules pile up before they exhaust the worker', async () => {
    // 4 MB kept per task: a context never replaced would hold 400 MB after
    // 100 tasks, twice the worker's heap (2 × 64 + 64 MB).
    const keeper = await fixture('memory-keeper');
    const outcomes = [];
    for (let i = 0; i < 100; i++) outcomes.push(await exec(keeper, {}));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    await expectStillWorks();
  });

  it('stops deep recursion with EU_STACK_OVERFLOW', async () => {
    const outcome = await exec(await fixture('deep-recursion'), {});
    expect(outcome).toMatchObject({ ok: false, error: { code: 'EU_STACK_OVERFLOW' } });
    await expectStillWorks();
  });

  it('reports a throw as EU_THREW with its message, sync or async', async () => {
    const thrower = await fixture('thrower');
    expect(await exec(thrower, { message: 'no article given' })).toMatchObject({
      ok: false,
      error: { code: 'EU_THREW', message: 'Error: no article given' },
    });
    expect(await exec(thrower, { message: 'later', async: true })).toMatchObject({
      ok: false,
      error: { code: 'EU_THREW', message: 'RangeError: later' },
    });
    await expectStillWorks();
  });

  it.each([
    ['function', 'output is a function'],
    ['undefined', 'output is undefined'],
    ['bigint', 'output.total is a BigInt'],
    ['cycle', 'output.head.next refers back to an enclosing value (a cycle)'],
    ['nan', 'output.ratio is NaN'],
    ['date', 'output.when is a Date'],
    ['symbol', 'output[0] is a symbol'],
    ['nested-function', 'output.items[1].f is a function'],
  ])('rejects a %s return as EU_OUTPUT_NOT_JSON naming where', async (kind, where) => {
    const outcome = await exec(await fixture('not-json'), { kind });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('EU_OUTPUT_NOT_JSON');
    expect(outcome.error.message).toContain(where);
    await expectStillWorks();
  });

  it('rejects output failing the output schema as EU_OUTPUT_INVALID', async () => {
    const outcome = await exec(await fixture('bad-output'), {});
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('EU_OUTPUT_INVALID');
    expect(outcome.error.message).toContain('output.count: must be integer');
    expect(outcome.error.message).toContain('output.extra: is not allowed');
    await expectStillWorks();
  });

  it('rejects input failing the input schema as EU_INPUT_INVALID, without running the EU', async () => {
    const strict = await fixture('strict-input');
    const outcome = await exec(strict, { title: 7, tags: ['a', 3], extra: 1 });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('EU_INPUT_INVALID');
    expect(outcome.error.message).toContain('input.title: must be string');
    expect(outcome.error.message).toContain('input.tags[1]: must be string');
    expect(outcome.error.message).toContain('input.extra: is not allowed');
    expect(outcome.metrics.cpuMs ?? 0).toBe(0);
    expect(await exec(strict, { title: 'fine' })).toMatchObject({ ok: true, output: { ran: true, title: 'fine' } });
  });

  it('rejects input JSON cannot carry as EU_INPUT_INVALID', async () => {
    expect(await exec(double, undefined)).toMatchObject({ ok: false, error: { code: 'EU_INPUT_INVALID' } });
    expect(await exec(double, { x: () => 1 })).toMatchObject({ ok: false, error: { code: 'EU_INPUT_INVALID' } });
    await expectStillWorks();
  });

  it('fails a promise that can never settle as EU_STALLED', async () => {
    expect(await exec(await fixture('stalled'), {})).toMatchObject({ ok: false, error: { code: 'EU_STALLED' } });
    await expectStillWorks();
  });
});

describe('the sandbox reaches nothing outside', () => {
  let hits = 0;
  let url = '';
  const server = createServer((_req, res) => {
    hits++;
    res.end('export default "reached";');
  });
  const scratch = mkdtempSync(join(tmpdir(), 'corten-escape-'));
  let escape: EuPackage;

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/payload.js`;
    escape = await fixture('escape');
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
    rmSync(scratch, { recursive: true, force: true });
  });

  // require, process and fetch do not exist in the sandbox: using them is a
  // ReferenceError, reported as EU_THREW. Importing anything but the EU's own
  // files is refused by the module loader and reported as EU_FORBIDDEN.
  it.each([
    ['require', 'EU_THREW', "ReferenceError: 'require' is not defined"],
    ['process', 'EU_THREW', "ReferenceError: 'process' is not defined"],
    ['fetch', 'EU_THREW', "ReferenceError: 'fetch' is not defined"],
    ['import-fs', 'EU_FORBIDDEN', 'the EU tried to import "node:fs"'],
    ['import-http', 'EU_FORBIDDEN', 'the EU tried to import "http://127.0.0.1:'],
    ['import-parent', 'EU_FORBIDDEN', 'the EU tried to import "../escape-outside.js"'],
    ['std', 'EU_FORBIDDEN', 'the EU tried to import "std"'],
  ])('%s fails with %s', async (attempt, code, message) => {
    const path = join(scratch, `${attempt}.txt`);
    const outcome = await exec(escape, { attempt, url, path });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe(code);
    expect(outcome.error.message).toContain(message);
    expect(hits).toBe(0);
    expect(existsSync(path)).toBe(false);
    await expectStillWorks();
  });

  it('refuses a static import of node:fs before the EU runs', async () => {
    const path = join(scratch, 'static.txt');
    const outcome = await exec(await fixture('static-import'), { path });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'EU_FORBIDDEN' } });
    expect(existsSync(path)).toBe(false);
    await expectStillWorks();
  });
});
