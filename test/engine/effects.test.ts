/**
 * Nothing leaves the process before its commit, connection closes included:
 * a close is queued on the turn and happens after the commit, or not at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spinEu } from '../fixtures/eus.js';
import { EngineHarness } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

describe('effects after the commit', () => {
  it("closes a silent operator's socket only after the turn that took it offline committed", async () => {
    h = await EngineHarness.start('reap-close');
    const op = await h.connect();
    h.log.length = 0;
    h.advance(h.engine.offlineAfterMs + 1);
    await h.reap();
    expect(op.conn.closed).toMatchObject({ code: 4001 });
    expect(h.log).toEqual([expect.stringMatching(/^commit:.*operator\.offline/), `close:${op.conn.connectionId}`]);
  });

  it("leaves a silent operator's socket open when the turn that took it offline fails to commit", async () => {
    h = await EngineHarness.start('reap-fail');
    const op = await h.connect();
    h.advance(h.engine.offlineAfterMs + 1);
    h.failNextCommit = new Error('disk full');
    // A failed turn's callers are refused with INTERNAL (the coordinator stops).
    await expect(h.reap()).rejects.toMatchObject({ code: 'INTERNAL' });
    await h.idle();
    expect(h.fatal).toBeInstanceOf(Error);
    expect(op.conn.closed).toBeNull();
    expect(h.of('operator.offline')).toEqual([]);
  });

  it('closes a replaced connection only after the turn that replaced it committed', async () => {
    h = await EngineHarness.start('replace-close');
    const op = await h.connect();
    const first = op.conn;
    h.log.length = 0;
    const second = await op.reconnect();
    expect(first.closed).toMatchObject({ code: 4000 });
    expect(second.closed).toBeNull();
    expect(h.log).toEqual([expect.stringMatching(/^commit:.*operator\.online/), `close:${first.connectionId}`]);
    expect(h.engine.operators.get(op.id)!.conn).toBe(second);
  });

  it('leaves the first connection open when the turn that would replace it fails to commit', async () => {
    h = await EngineHarness.start('replace-fail');
    const op = await h.connect();
    const first = op.conn;
    h.failNextCommit = new Error('disk full');
    await expect(op.reconnect()).rejects.toMatchObject({ code: 'INTERNAL' });
    await h.idle();
    expect(h.fatal).toBeInstanceOf(Error);
    expect(first.closed).toBeNull();
    expect(op.conn.messages).toEqual([]);
  });

  it('sends no frame of a turn whose commit failed: an assignment made in memory never goes out', async () => {
    h = await EngineHarness.start('assign-fail');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1 }));
    const op = await h.connect();
    h.failNextCommit = new Error('disk full');
    await expect(h.submit(eu, [{ n: 1 }])).rejects.toMatchObject({ code: 'INTERNAL' });
    await h.idle();
    expect(h.fatal).toBeInstanceOf(Error);
    expect(op.conn.of('assign')).toEqual([]);
  });
});
