/**
 * The lease keeper, in-process on a real PostgreSQL: renewals run on their
 * own thread, so a holder whose event loop is busy for longer than its lease
 * keeps it; and the keeper's session is the holder's sign of life, so once it
 * is gone a follower takes a lease that has not run out, while a live
 * holder's lease is refused to it.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PostgresStore, type LeaderLease } from '../../src/store/index.js';
import { dropSchemas, freshSchema, PG_URL } from '../helpers/postgres.js';

const schemas: string[] = [];
const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c.close();
});
afterAll(() => dropSchemas(schemas));

async function leases(leaseMs: number): Promise<[LeaderLease, LeaderLease]> {
  const schema = freshSchema('keeper');
  schemas.push(schema);
  const store = new PostgresStore({ url: PG_URL, schema });
  await store.migrate();
  const a = store.leaderLease('main', leaseMs);
  const b = store.leaderLease('main', leaseMs);
  closing.push(a, b, store);
  return [a, b];
}

/** Keeps this thread's event loop busy for `ms`, as a long turn does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('the lease keeper', () => {
  it('renews while the event loop is busy for longer than the lease', async () => {
    const [lease, other] = await leases(600);
    const keeper = lease.keeper('A', 200, () => undefined);
    closing.unshift(keeper);
    await keeper.ready;
    const sent = performance.now();
    const won = await lease.claim('A', 'http://a', keeper.session);
    expect(won).toMatchObject({ epoch: 1, holder: 'A' });
    keeper.keep('A', 1, sent);
    keeper.stamp();
    busy(1500);
    // Two and a half leases later, renewed meanwhile by the keeper's thread.
    expect(keeper.lost).toBe(false);
    expect(keeper.validUntil).toBeGreaterThan(sent + 1500);
    expect(await other.claim('B', 'http://b')).toBeNull();
    expect(await other.current()).toMatchObject({ holder: 'A', epoch: 1, live: true });
  });

  it("lets a follower take a live lease once the holder's keeper session is gone, and not before", async () => {
    const [lease, other] = await leases(60_000);
    const keeper = lease.keeper('A', 1000, () => undefined);
    await keeper.ready;
    expect(await lease.claim('A', 'http://a', keeper.session)).toMatchObject({ epoch: 1 });
    keeper.keep('A', 1, performance.now());
    expect(await other.claim('B', 'http://b')).toBeNull();
    // The holder's process dies: its session ends with it.
    await keeper.close();
    expect(await other.claim('B', 'http://b')).toMatchObject({ epoch: 2, holder: 'B' });
  });
});
