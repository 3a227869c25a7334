/**
 * An operator's standing over time, in-process with a fake clock: a sample on the first
 * tick, at most one a minute after, one when the status moved,
 * and samples older than the retention pruned.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HISTORY_INTERVAL_MS, HISTORY_RETENTION_MS } from '../../src/coordinator/reputation/index.js';
import { EngineHarness } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

describe('reputation history', () => {
  it('samples each operator at most once a minute, only when its standing moved, and prunes old samples', async () => {
    h = await EngineHarness.start('history');
    const op = await h.connect();
    const samples = () => h.store.trust.listOperatorSamples(op.id, 0, 10_000);
    await h.tick();
    expect(await samples()).toEqual([
      {
        operatorId: op.id,
        ts: h.now,
        score: expect.any(Number),
        uptime: 1,
        agreement: 1,
        leaseCompletion: 1,
        stake: 0,
        status: 'online',
      },
    ]);
    const first = h.now;
    // Within the minute: not even checked.
    await op.drop();
    h.advance(HISTORY_INTERVAL_MS / 2);
    await h.tick();
    expect(await samples()).toHaveLength(1);
    // Within two minutes (the second check is put off by up to one), the status moved: one sample.
    for (let i = 0; i < 9; i++) {
      h.advance(HISTORY_INTERVAL_MS / 6);
      await h.tick();
    }
    const [, offline, ...more] = await samples();
    expect(more).toEqual([]);
    expect(offline?.status).toBe('offline');
    expect(offline!.ts - first).toBeGreaterThanOrEqual(HISTORY_INTERVAL_MS);
    // Ticking every 10 s for three minutes writes at most one sample a minute.
    for (let i = 0; i < 18; i++) {
      h.advance(HISTORY_INTERVAL_MS / 6);
      await h.tick();
    }
    expect((await samples()).length).toBeLessThanOrEqual(2 + 3);
    // A day on, the prune has taken every earlier sample.
    h.advance(HISTORY_RETENTION_MS);
    await h.tick();
    expect((await samples()).filter((s) => s.ts < h.now)).toEqual([]);
  });
});
