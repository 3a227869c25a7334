/**
 * The leader lease and its epoch fence, in-process on a real PostgreSQL: a
 * lease is taken only when free or run out, each takeover bumps the epoch,
 * the deposed holder can neither renew nor commit (STALE_EPOCH, nothing
 * written, no seq spent), and the new holder commits on.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CortenError } from '../../src/protocol/index.js';
import { ChangeSet, PostgresStore, type LeaderLease } from '../../src/store/index.js';
import { dropSchemas, freshSchema, PG_URL } from '../helpers/postgres.js';

const schemas: string[] = [];
const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c.close();
});
afterAll(() => dropSchemas(schemas));

async function place(): Promise<{ a: PostgresStore; b: PostgresStore; leaseA: LeaderLease; leaseB: LeaderLease }> {
  const schema = freshSchema('fence');
  schemas.push(schema);
  const a = new PostgresStore({ url: PG_URL, schema });
  const b = new PostgresStore({ url: PG_URL, schema });
  await Promise.all([a.migrate(), b.migrate()]);
  // A long lease: only release() ends it in these tests, never the clock.
  const leaseA = a.leaderLease('main', 60_000);
  const leaseB = b.leaderLease('main', 60_000);
  closing.push(a, b, leaseA, leaseB);
  return { a, b, leaseA, leaseB };
}

function meta(key: string): ChangeSet {
  const cs = new ChangeSet();
  cs.push({ op: 'meta.set', key, value: key });
  cs.event('region.down', 1, { region: key, reason: key });
  return cs;
}

describe('the leader lease', () => {
  it('is taken once while live; a takeover bumps the epoch and fences the old holder out', async () => {
    const { a, b, leaseA, leaseB } = await place();
    const won = await leaseA.claim('A', 'http://a');
    expect(won).toEqual({ epoch: 1, holder: 'A', url: 'http://a' });
    expect(await leaseB.claim('B', 'http://b')).toBeNull();
    expect(await leaseB.current()).toMatchObject({ holder: 'A', url: 'http://a', live: true });
    a.fenceEpoch({ shard: 'main', epoch: 1 });
    expect((await a.commit(meta('first'))).map((e) => e.seq)).toEqual([1]);
    expect(await leaseA.renew('A', 1)).toBe(true);

    // A's lease runs out (here: given up); B takes it at the next epoch.
    await leaseA.release('A', 1);
    expect(await leaseB.claim('B', 'http://b')).toEqual({ epoch: 2, holder: 'B', url: 'http://b' });
    b.fenceEpoch({ shard: 'main', epoch: 2 });

    expect(await leaseA.renew('A', 1)).toBe(false);
    const refused = await a.commit(meta('late')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(CortenError);
    expect(refused).toMatchObject({
      code: 'STALE_EPOCH',
      details: { shard: 'main', expected: 1, found: 2, leader: 'http://b' },
    });
    expect(await b.getMeta('late')).toBeUndefined();
    expect((await b.commit(meta('second'))).map((e) => e.seq)).toEqual([2]);
    expect(await a.lastEventSeq()).toBe(2);
  });

  it('refuses every commit of a store fenced on an epoch no lease has', async () => {
    const { a } = await place();
    a.fenceEpoch({ shard: 'main', epoch: 0 });
    await expect(a.commit(meta('x'))).rejects.toMatchObject({ code: 'STALE_EPOCH', details: { found: null } });
    a.fenceEpoch(null);
    expect((await a.commit(meta('y'))).map((e) => e.seq)).toEqual([1]);
  });
});
