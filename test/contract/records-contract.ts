/**
 * The Store contract for operators, regions and the coordinator's meta facts.
 */
import { describe, expect, it } from 'vitest';
import { ChangeSet } from '../../src/store/index.js';
import { operatorRow, type StoreContext } from './store-fixtures.js';

export function describeRecordsContract(ctx: StoreContext): void {
  describe('operators', () => {
    it('upserts an operator: a reconnect updates what it declares, keeps its key and first sighting', async () => {
      const first = new ChangeSet();
      first.push({ op: 'operator.upsert', row: operatorRow('op_1', { firstSeenAt: 1, lastSeenAt: 1 }) });
      await ctx.store.commit(first);
      expect(await ctx.store.getOperator('op_1')).toEqual(operatorRow('op_1', { firstSeenAt: 1, lastSeenAt: 1 }));
      const again = new ChangeSet();
      again.push({
        op: 'operator.upsert',
        row: operatorRow('op_1', {
          publicKey: 'pk_other',
          region: 'us-east',
          status: 'degraded',
          resources: '{"cpu":8}',
          maxConcurrent: 8,
          firstSeenAt: 99,
          lastSeenAt: 99,
          statusReason: 'slow',
        }),
      });
      await ctx.store.commit(again);
      expect(await ctx.store.getOperator('op_1')).toEqual(
        operatorRow('op_1', {
          region: 'us-east',
          status: 'degraded',
          resources: '{"cpu":8}',
          maxConcurrent: 8,
          firstSeenAt: 1,
          lastSeenAt: 99,
          statusReason: 'slow',
        }),
      );
    });

    it('updates only the given fields, and lists operators by region then id', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'operator.upsert', row: operatorRow('op_b', { region: 'eu-west' }) });
      cs.push({ op: 'operator.upsert', row: operatorRow('op_c', { region: 'ap-south' }) });
      cs.push({ op: 'operator.upsert', row: operatorRow('op_a', { region: 'eu-west' }) });
      cs.push({ op: 'operator.update', id: 'op_a', set: { status: 'suspended', statusReason: 'slashed' } });
      await ctx.store.commit(cs);
      expect(await ctx.store.getOperator('op_a')).toEqual(
        operatorRow('op_a', { status: 'suspended', statusReason: 'slashed' }),
      );
      expect((await ctx.store.listOperators()).map((o) => o.id)).toEqual(['op_c', 'op_a', 'op_b']);
      expect(await ctx.store.getOperator('op_none')).toBeUndefined();
    });

    it('fails the commit when an update names an operator the store does not hold', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'operator.upsert', row: operatorRow('op_1') });
      cs.push({ op: 'operator.update', id: 'op_none', set: { status: 'offline' } });
      await expect(ctx.store.commit(cs)).rejects.toThrow();
      expect(await ctx.store.listOperators()).toEqual([]);
    });
  });

  describe('regions', () => {
    it('upserts regions and lists them by name, down as a boolean', async () => {
      const cs = new ChangeSet();
      cs.push({
        op: 'region.upsert',
        row: { name: 'us-east', down: true, source: 'failures', reason: 'r1', changedAt: 1 },
      });
      cs.push({
        op: 'region.upsert',
        row: { name: 'eu-west', down: true, source: 'admin', reason: 'maintenance', changedAt: 2 },
      });
      await ctx.store.commit(cs);
      const up = new ChangeSet();
      up.push({
        op: 'region.upsert',
        row: { name: 'us-east', down: false, source: 'admin', reason: 'back', changedAt: 3 },
      });
      await ctx.store.commit(up);
      expect(await ctx.store.listRegions()).toEqual([
        { name: 'eu-west', down: true, source: 'admin', reason: 'maintenance', changedAt: 2 },
        { name: 'us-east', down: false, source: 'admin', reason: 'back', changedAt: 3 },
      ]);
    });
  });

  describe('meta', () => {
    it('sets and overwrites a fact, and knows nothing of a key never set', async () => {
      expect(await ctx.store.getMeta('last_alive')).toBeUndefined();
      const cs = new ChangeSet();
      cs.push({ op: 'meta.set', key: 'last_alive', value: '1' });
      cs.push({ op: 'meta.set', key: 'last_alive', value: '2' });
      await ctx.store.commit(cs);
      expect(await ctx.store.getMeta('last_alive')).toBe('2');
      const later = new ChangeSet();
      later.push({ op: 'meta.set', key: 'last_alive', value: '3' });
      await ctx.store.commit(later);
      expect(await ctx.store.getMeta('last_alive')).toBe('3');
    });
  });
}
