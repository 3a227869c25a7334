/**
 * The webhook dispatcher in process, against local HTTP servers: a dead
 * receiver is retried with backoff and given up after its attempts (with a
 * `webhook.failed` event); a hanging one holds at most two slots and times
 * out, while another webhook's delivery goes through meanwhile; deliveries
 * written before a restart are sent after it, from the store.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/coordinator/config/index.js';
import { Turn } from '../../src/coordinator/memory/index.js';
import { WebhookDispatcher, WebhookRegistry } from '../../src/coordinator/webhooks/index.js';
import type { CortenEvent } from '../../src/protocol/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(
  config: Partial<ReturnType<typeof defaultConfig>>,
  options: { dir?: string; start?: boolean } = {},
) {
  const store = new SqliteStore({ dir: options.dir ?? ':memory:' });
  await store.migrate();
  const registry = new WebhookRegistry(10);
  await registry.load(store);
  const committed: CortenEvent[] = [];
  const listeners: (() => void)[] = [];
  // The engine's turn, reduced to what the dispatcher and registry need: writes, deliveries, commit, effects.
  const command = async <T>(fn: (turn: Turn) => T): Promise<T> => {
    const turn = new Turn(Date.now());
    const value = fn(turn);
    registry.queueDeliveries(turn);
    committed.push(...(await store.commit(turn.changes)));
    turn.flush(new Map(), () => {});
    for (const l of listeners) l();
    return value;
  };
  const dispatcher = new WebhookDispatcher({
    store,
    registry,
    command,
    config: { ...defaultConfig(), webhookRetryBaseMs: 10, webhookRetryMaxMs: 40, ...config },
    log: pino({ level: 'silent' }),
  });
  if (options.start !== false) dispatcher.start();
  cleanups.push(async () => {
    dispatcher.stop();
    await store.close();
  });
  const register = (operatorId: string, url: string) =>
    command((turn) =>
      registry.register(turn, { operatorId, url, kinds: ['offline'], description: '', createdBy: 'admin' }),
    );
  const offline = (operatorId: string, times = 1) =>
    command((turn) => {
      for (let i = 0; i < times; i++)
        turn.event('operator.offline', { operatorId, region: 'r', reason: 'closed', expired: 0 }, { operatorId });
    });
  /** Resolves once a committed event satisfies `predicate`. */
  const waitForEvent = (predicate: (e: CortenEvent) => boolean) =>
    new Promise<CortenEvent>((resolve) => {
      const check = () => {
        const e = committed.find(predicate);
        if (e) resolve(e);
        return e !== undefined;
      };
      if (!check()) listeners.push(check);
    });
  /** Resolves once `predicate` holds after a commit (the dispatcher records attempts in commands). */
  const waitForCommit = (predicate: () => Promise<boolean>) =>
    new Promise<void>((resolve) => {
      const check = () => void predicate().then((ok) => ok && resolve());
      listeners.push(check);
      check();
    });
  const close = async () => {
    dispatcher.stop();
    await store.close();
  };
  return { store, registry, register, offline, waitForEvent, waitForCommit, close };
}

async function server(handle: (response: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const s = createServer((request, response) => {
    request.resume();
    request.on('end', () => handle(response));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    s.closeAllConnections();
    s.close();
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/`, server: s };
}

describe('webhook dispatcher', () => {
  it('retries a dead receiver with backoff, then gives the delivery up with webhook.failed', async () => {
    const net = await setup({ webhookMaxAttempts: 3 });
    const dead = await server((response) => response.destroy());
    const webhook = await net.register('op_1', dead.url);
    await net.offline('op_1');
    const failed = await net.waitForEvent((e) => e.type === 'webhook.failed');
    expect(failed.data).toMatchObject({ operatorId: 'op_1', webhookId: webhook.id, attempts: 3 });
    const [delivery] = await net.store.webhooks.listDeliveries(webhook.id, 10);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null });
    const log = await net.store.webhooks.listAttempts([delivery!.id]);
    expect(log.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(log.every((a) => a.statusCode === null && a.error !== null)).toBe(true);
    // Backoff: each retry waited at least three quarters of its doubling delay (10, then 20 ms).
    expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(7);
    expect(log[2]!.at - log[1]!.at).toBeGreaterThanOrEqual(15);
    expect(await net.store.webhooks.nextDueAt()).toBeNull();
  });

  it("lets a hanging receiver's backlog hold two slots at most, times it out, and delivers another webhook meanwhile", async () => {
    const net = await setup({ webhookTimeoutMs: 200, webhookConcurrency: 3, webhookMaxAttempts: 1 });
    let hanging = 0;
    let most = 0;
    const slow = await server(() => {
      hanging += 1;
      most = Math.max(most, hanging);
    });
    slow.server.on('connection', (socket) => socket.on('close', () => (hanging = Math.max(0, hanging - 1))));
    const delivered: number[] = [];
    const good = await server((response) => {
      delivered.push(hanging);
      response.writeHead(204).end();
    });
    const stuck = await net.register('op_slow', slow.url);
    const fine = await net.register('op_good', good.url);
    await net.offline('op_slow', 20);
    await net.offline('op_good');
    await net.waitForCommit(
      async () => (await net.store.webhooks.listDeliveries(fine.id, 1))[0]?.status === 'delivered',
    );
    // The good receiver was answered while the hanging one still had most of its backlog of 20 waiting.
    expect(delivered).toHaveLength(1);
    const waiting = (await net.store.webhooks.listDeliveries(stuck.id, 50)).filter((d) => d.status === 'pending');
    expect(waiting.length).toBeGreaterThan(10);
    await net.waitForCommit(async () => {
      const all = await net.store.webhooks.listDeliveries(stuck.id, 50);
      return all.length === 20 && all.every((d) => d.status === 'failed');
    });
    expect(most).toBeLessThanOrEqual(2);
    const attempts = await net.store.webhooks.listAttempts(
      (await net.store.webhooks.listDeliveries(stuck.id, 50)).map((d) => d.id),
    );
    expect(attempts).toHaveLength(20);
    expect(attempts.every((a) => a.error === 'no answer within 200 ms')).toBe(true);
    expect(attempts.every((a) => a.durationMs >= 150)).toBe(true);
  });

  it('sends after a restart what was written before it: deliveries are read from the store', async () => {
    const dir = tempDir('webhooks-restart');
    cleanups.push(() => dir.cleanup(false));
    const received: string[] = [];
    const good = await server((response) => {
      received.push('delivery');
      response.writeHead(204).end();
    });
    // Written with the event, then the process stops before any attempt.
    const before = await setup({}, { dir: dir.path, start: false });
    const webhook = await before.register('op_1', good.url);
    await before.offline('op_1');
    await before.close();
    expect(received).toEqual([]);
    const after = await setup({}, { dir: dir.path });
    expect(after.registry.get(webhook.id)?.url).toBe(good.url);
    await after.waitForCommit(
      async () => (await after.store.webhooks.listDeliveries(webhook.id, 1))[0]?.status === 'delivered',
    );
    expect(received).toHaveLength(1);
  });
});
