/**
 * The Store contract for webhooks (`store.webhooks`): webhooks registered and
 * removed, deliveries written with their event, attempts that move a
 * delivery along, what is due, and the delivery log. Writes travel in the
 * change set like every other write.
 */
import { describe, expect, it } from 'vitest';
import { ChangeSet, type WebhookDeliveryRow, type WebhookRow } from '../../src/store/index.js';
import type { StoreContext } from './store-fixtures.js';

function webhook(id: string, over: Partial<WebhookRow> = {}): WebhookRow {
  return {
    id,
    operatorId: 'op_1',
    url: 'http://127.0.0.1:9/hook',
    kinds: '["slashed"]',
    description: '',
    secret: 's'.repeat(64),
    createdAt: 1,
    createdBy: 'operator',
    removedAt: null,
    ...over,
  };
}

function delivery(id: string, webhookId: string, over: Partial<WebhookDeliveryRow> = {}): WebhookDeliveryRow {
  return {
    id,
    webhookId,
    kind: 'slashed',
    eventType: 'ledger.slashed',
    payload: `{"deliveryId":"${id}"}`,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: 10,
    createdAt: 10,
    updatedAt: 10,
    ...over,
  };
}

export function describeWebhooksContract(ctx: StoreContext): void {
  describe('webhooks', () => {
    it('lists registered webhooks by creation, keeps removed ones readable, and refuses removing one twice', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'webhook.insert', row: webhook('wh_b', { createdAt: 2 }) });
      cs.push({ op: 'webhook.insert', row: webhook('wh_a', { createdAt: 2, createdBy: 'admin', operatorId: 'op_2' }) });
      cs.push({ op: 'webhook.insert', row: webhook('wh_c', { createdAt: 1 }) });
      await ctx.store.commit(cs);
      expect((await ctx.store.webhooks.listWebhooks()).map((w) => w.id)).toEqual(['wh_c', 'wh_a', 'wh_b']);
      expect(await ctx.store.webhooks.getWebhook('wh_a')).toEqual(
        webhook('wh_a', { createdAt: 2, createdBy: 'admin', operatorId: 'op_2' }),
      );
      const remove = new ChangeSet();
      remove.push({ op: 'webhook.remove', id: 'wh_c', removedAt: 5 });
      await ctx.store.commit(remove);
      expect((await ctx.store.webhooks.listWebhooks()).map((w) => w.id)).toEqual(['wh_a', 'wh_b']);
      expect((await ctx.store.webhooks.getWebhook('wh_c'))?.removedAt).toBe(5);
      expect(await ctx.store.webhooks.getWebhook('wh_nope')).toBeUndefined();
      const again = new ChangeSet();
      again.push({ op: 'webhook.insert', row: webhook('wh_d') });
      again.push({ op: 'webhook.remove', id: 'wh_c', removedAt: 6 });
      await expect(ctx.store.commit(again)).rejects.toThrow(/wh_c/);
      expect(await ctx.store.webhooks.getWebhook('wh_d')).toBeUndefined();
    });

    it('writes a delivery with its event, and serves what is due, longest due first', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'webhook.insert', row: webhook('wh_1') });
      cs.push({ op: 'webhook.delivery', row: delivery('whd_2', 'wh_1', { nextAttemptAt: 20 }) });
      cs.push({ op: 'webhook.delivery', row: delivery('whd_1', 'wh_1', { nextAttemptAt: 10 }) });
      cs.push({ op: 'webhook.delivery', row: delivery('whd_3', 'wh_1', { nextAttemptAt: 30 }) });
      cs.event('ledger.slashed', 10, { operatorId: 'op_1', amount: 5, reason: 'dissent', entryId: 'le_1' });
      const [event] = await ctx.store.commit(cs);
      expect(event?.seq).toBe(1);
      const w = ctx.store.webhooks;
      expect((await w.listDueDeliveries(20, 10)).map((d) => d.id)).toEqual(['whd_1', 'whd_2']);
      expect((await w.listDueDeliveries(100, 1)).map((d) => d.id)).toEqual(['whd_1']);
      expect(await w.listDueDeliveries(9, 10)).toEqual([]);
      expect(await w.listDueDeliveries(100, 10, ['wh_1'])).toEqual([]);
      expect((await w.listDueDeliveries(100, 10, ['wh_other'])).map((d) => d.id)).toEqual(['whd_1', 'whd_2', 'whd_3']);
      expect(await w.nextDueAt()).toBe(10);
      expect((await w.listDueDeliveries(10, 10))[0]).toEqual(delivery('whd_1', 'wh_1', { nextAttemptAt: 10 }));
    });

    it('records attempts: a retry moves the delivery on, a success or a give-up takes it out of what is due', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'webhook.insert', row: webhook('wh_1') });
      cs.push({ op: 'webhook.delivery', row: delivery('whd_1', 'wh_1', { createdAt: 10 }) });
      cs.push({ op: 'webhook.delivery', row: delivery('whd_2', 'wh_1', { createdAt: 11 }) });
      await ctx.store.commit(cs);
      const w = ctx.store.webhooks;
      const retry = new ChangeSet();
      retry.push({
        op: 'webhook.attempt',
        row: { deliveryId: 'whd_1', attempt: 1, at: 10, durationMs: 3, statusCode: 500, error: 'HTTP 500' },
        delivery: { status: 'pending', attempts: 1, nextAttemptAt: 50, updatedAt: 13 },
      });
      retry.push({
        op: 'webhook.attempt',
        row: { deliveryId: 'whd_2', attempt: 1, at: 10, durationMs: 5000, statusCode: null, error: 'timed out' },
        delivery: { status: 'failed', attempts: 1, nextAttemptAt: null, updatedAt: 5010 },
      });
      await ctx.store.commit(retry);
      expect((await w.listDueDeliveries(49, 10)).map((d) => d.id)).toEqual([]);
      expect((await w.listDueDeliveries(50, 10)).map((d) => d.id)).toEqual(['whd_1']);
      const done = new ChangeSet();
      done.push({
        op: 'webhook.attempt',
        row: { deliveryId: 'whd_1', attempt: 2, at: 50, durationMs: 2, statusCode: 204, error: null },
        delivery: { status: 'delivered', attempts: 2, nextAttemptAt: null, updatedAt: 52 },
      });
      await ctx.store.commit(done);
      expect(await w.nextDueAt()).toBeNull();
      const log = await w.listDeliveries('wh_1', 10);
      expect(log.map((d) => [d.id, d.status, d.attempts])).toEqual([
        ['whd_2', 'failed', 1],
        ['whd_1', 'delivered', 2],
      ]);
      expect((await w.listDeliveries('wh_1', 1)).map((d) => d.id)).toEqual(['whd_2']);
      expect(await w.listAttempts(['whd_1', 'whd_2', 'whd_none'])).toEqual([
        { deliveryId: 'whd_1', attempt: 1, at: 10, durationMs: 3, statusCode: 500, error: 'HTTP 500' },
        { deliveryId: 'whd_1', attempt: 2, at: 50, durationMs: 2, statusCode: 204, error: null },
        { deliveryId: 'whd_2', attempt: 1, at: 10, durationMs: 5000, statusCode: null, error: 'timed out' },
      ]);
      expect(await w.listAttempts([])).toEqual([]);
    });

    it("gives up a removed webhook's pending deliveries; a late attempt leaves a given-up delivery so", async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'webhook.insert', row: webhook('wh_1') });
      cs.push({ op: 'webhook.insert', row: webhook('wh_2') });
      cs.push({ op: 'webhook.delivery', row: delivery('whd_1', 'wh_1') });
      cs.push({ op: 'webhook.delivery', row: delivery('whd_2', 'wh_2') });
      cs.push({ op: 'webhook.delivery', row: delivery('whd_3', 'wh_1', { status: 'delivered', nextAttemptAt: null }) });
      await ctx.store.commit(cs);
      const abandon = new ChangeSet();
      abandon.push({ op: 'webhook.remove', id: 'wh_1', removedAt: 20 });
      abandon.push({ op: 'webhook.abandon', webhookId: 'wh_1', updatedAt: 20 });
      await ctx.store.commit(abandon);
      const w = ctx.store.webhooks;
      expect((await w.listDueDeliveries(100, 10)).map((d) => d.id)).toEqual(['whd_2']);
      const late = new ChangeSet();
      late.push({
        op: 'webhook.attempt',
        row: { deliveryId: 'whd_1', attempt: 1, at: 15, durationMs: 9, statusCode: 200, error: null },
        delivery: { status: 'delivered', attempts: 1, nextAttemptAt: null, updatedAt: 24 },
      });
      await ctx.store.commit(late);
      const log = await w.listDeliveries('wh_1', 10);
      expect(log.find((d) => d.id === 'whd_1')).toMatchObject({ status: 'failed', attempts: 0 });
      expect(log.find((d) => d.id === 'whd_3')).toMatchObject({ status: 'delivered' });
      expect(await w.listAttempts(['whd_1'])).toHaveLength(1);
    });
  });
}
