/**
 * Executions are deterministic and isolated: Math.random follows the task's
 * seed, the clock shows the task's instant in UTC whatever the operator's time
 * zone, and nothing one task does (module state, globals, intrinsics) is seen
 * by the next, even in the same warm context.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EuPackage } from '../../src/protocol/index.js';
import { createRuntime, MAX_OUTPUT_BYTES, type SandboxRuntime } from '../../src/runtime/index.js';
import { fixture } from './support.js';

const CLOCK = Date.UTC(2024, 1, 29, 13, 45, 30, 250);
let runtime: SandboxRuntime;
let probe: EuPackage;

function run(input: Record<string, unknown>, seed = 'c0ffee', clock = CLOCK) {
  return runtime.execute({ eu: probe, input, seed, clock });
}

async function output(input: Record<string, unknown>, seed?: string): Promise<unknown> {
  const outcome = await run(input, seed);
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  return outcome.output;
}

/** sfc32 written independently of the sandbox: SHA-256 of the seed, 12 outputs discarded. */
function referenceRandoms(seed: string, count: number): number[] {
  const digest = createHash('sha256').update(seed).digest();
  const s = [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
  const next = () => {
    let [a, b, c, d] = s as [number, number, number, number];
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    s.splice(0, 4, a, b, c, d);
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return Array.from({ length: count }, next);
}

const savedTz = process.env.TZ;

beforeAll(async () => {
  // A zone far from UTC, so a leak of the operator's local time would show.
  process.env.TZ = 'America/New_York';
  runtime = await createRuntime({ workers: 1, recycleAfter: 3 });
  probe = await fixture('probe');
});

afterAll(async () => {
  await runtime.close();
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('determinism', () => {
  it("seeds Math.random with the task seed (sfc32 over the seed's SHA-256)", async () => {
    const first = await output({ probe: 'random' }, 'abc123');
    expect(first).toEqual(referenceRandoms('abc123', 3));
    expect(await output({ probe: 'random' }, 'abc123')).toEqual(first);
    expect(await output({ probe: 'random' }, 'abc124')).not.toEqual(first);
  });

  it('fixes the clock at the task clock', async () => {
    expect(await output({ probe: 'clock' })).toEqual({
      now: CLOCK,
      constructed: CLOCK,
      called: 'Thu Feb 29 2024 13:45:30 GMT+0000',
      explicit: '1970-01-02T00:00:00.000Z',
    });
    const later = await run({ probe: 'clock' }, 'c0ffee', CLOCK + 1000);
    expect(later).toMatchObject({ ok: true, output: { now: CLOCK + 1000 } });
  });

  it("keeps local time in UTC whatever the operator's time zone", async () => {
    expect(new Date(0).getHours()).toBe(19);
    expect(await output({ probe: 'time-zone' })).toEqual({ hours: 0, offset: 0, parsed: 0 });
  });
});

describe('isolation between tasks', () => {
  it('evaluates the module afresh for every task', async () => {
    for (let i = 0; i < 5; i++) expect(await output({ probe: 'calls' })).toBe(1);
  });

  it('refuses to set globals, and nothing leaks to the next task', async () => {
    expect(await run({ probe: 'set-global' })).toMatchObject({
      ok: false,
      error: { code: 'EU_THREW', message: expect.stringMatching(/^TypeError/) },
    });
    expect(await output({ probe: 'read-global' })).toBe('undefined');
  });

  it('refuses to extend or replace intrinsics', async () => {
    expect(await run({ probe: 'extend-prototype' })).toMatchObject({
      ok: false,
      error: { code: 'EU_THREW', message: expect.stringMatching(/^TypeError/) },
    });
    expect(await run({ probe: 'replace-random' })).toMatchObject({
      ok: false,
      error: { code: 'EU_THREW', message: expect.stringMatching(/^TypeError/) },
    });
    expect(await output({ probe: 'random' }, 'abc123')).toEqual(referenceRandoms('abc123', 3));
  });

  it('still lets code shadow frozen prototype properties on its own objects', async () => {
    expect(await output({ probe: 'shadow' })).toBe('Failure own');
  });

  it('removes garbage-collection observers', async () => {
    expect(await output({ probe: 'weak-refs' })).toEqual(['undefined', 'undefined']);
  });
});

describe('modules and output', () => {
  it("imports the EU's own modules and JSON files", async () => {
    expect(await output({ probe: 'imports' })).toBe('answer: 42');
  });

  it("supports top-level await in the EU's modules", async () => {
    expect(await output({ probe: 'top-level-await' })).toBe('awaited at top level');
  });

  it('reports a missing own module as a throw, not a forbidden import', async () => {
    const outcome = await run({ probe: 'missing-import' });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'EU_THREW', message: expect.stringContaining('lib/absent.js') },
    });
  });

  it('offers only the host capabilities the manifest lists', async () => {
    expect(await output({ probe: 'host-keys' })).toEqual(['embed', 'nlp']);
  });

  it('refuses output over the size limit with EU_OUTPUT_TOO_LARGE', async () => {
    expect(await output({ probe: 'big-output', bytes: 1000 })).toHaveLength(1000);
    const outcome = await run({ probe: 'big-output', bytes: MAX_OUTPUT_BYTES + 1 });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'EU_OUTPUT_TOO_LARGE' } });
  });

  it('reports metrics for every execution', async () => {
    const outcome = await run({ probe: 'calls' });
    expect(outcome.metrics.durationMs).toBeGreaterThanOrEqual(0);
    expect(outcome.metrics.cpuMs).toBeGreaterThanOrEqual(0);
    expect(outcome.metrics.memoryMb).toBeGreaterThan(0);
  });
});
