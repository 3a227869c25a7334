/**
 * Operators' webhooks on a real network, received by a local HTTP server:
 * registered with a request signed by the operator's key, they are told of a
 * lease that expired, the slash it cost (with its reason), the operator going
 * offline and coming back. Every delivery is HMAC-signed with the secret
 * given at registration; one the receiver first answers 500 is retried, and
 * the delivery log shows both attempts.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import {
  loadOrCreateKeyFile,
  verifyWebhookSignature,
  WEBHOOK_HEADERS,
  WEBHOOK_KINDS,
  type WebhookDeliveryView,
  type WebhookPayload,
} from '../src/protocol/index.js';
import { inputs, spinEu } from './fixtures/eus.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  payload: WebhookPayload;
  answered: number;
}

/** A receiver that answers 500 to the first request it gets and 204 to every other. */
async function receiver() {
  const received: Received[] = [];
  const waiters: { check: () => boolean; resolve: () => void }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const answered = received.length === 0 ? 500 : 204;
      received.push({ headers: request.headers, body, payload: JSON.parse(body) as WebhookPayload, answered });
      response.writeHead(answered).end();
      for (const w of [...waiters]) {
        if (!w.check()) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/corten`;
  /** Resolves with the first delivery received (past or future) that `predicate` takes. */
  const waitFor = (predicate: (r: Received) => boolean): Promise<Received> => {
    const find = () => received.find(predicate);
    return new Promise((resolve) => {
      if (find()) return resolve(find()!);
      waiters.push({ check: () => find() !== undefined, resolve: () => resolve(find()!) });
    });
  };
  return { url, received, waitFor, close: () => server.close() };
}

describe('webhooks', () => {
  it('delivers lease expired, slashed with its reason, offline and back online; signed, retried after a 500', async () => {
    const hooks = await receiver();
    const { network, client, log } = await startNetwork(
      'webhooks',
      [
        { region: 'r1', maxConcurrent: 1, workers: 1 },
        { region: 'r2', maxConcurrent: 1, workers: 1 },
        { region: 'r3', maxConcurrent: 1, workers: 1, fault: 'lateMs=1500', name: 'late' },
      ],
      { operatorStake: 100, coordinatorArgs: ['--lease-grace-ms', '200', '--webhook-retry-ms', '50'] },
    );
    const late = network.operators.find((o) => o.spec.fault !== undefined)!;
    const keys = loadOrCreateKeyFile(join(network.dir, 'keys', 'late.json')).keys;
    const owner = new CortenClient(network.url, { operatorKeys: keys, adminToken: '' });

    // Registration: signed by the operator's key (or the admin), a URL the coordinator will call.
    const anonymous = new CortenClient(network.url, { adminToken: '' });
    await expect(anonymous.registerWebhook(late.operatorId, { url: hooks.url })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(owner.registerWebhook(late.operatorId, { url: 'ftp://127.0.0.1/x' })).rejects.toMatchObject({
      code: 'WEBHOOK_URL_REFUSED',
    });
    await expect(owner.registerWebhook(late.operatorId, { url: 'http://u:p@127.0.0.1/x' })).rejects.toMatchObject({
      code: 'WEBHOOK_URL_REFUSED',
    });
    await expect(
      owner.registerWebhook(late.operatorId, { url: hooks.url, kinds: ['nope' as 'online'] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const webhook = await owner.registerWebhook(late.operatorId, { url: hooks.url, description: 'pager' });
    expect(webhook).toMatchObject({ operatorId: late.operatorId, url: hooks.url, createdBy: 'operator' });
    expect(webhook.kinds).toEqual([...WEBHOOK_KINDS]);
    expect(webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    const listed = await owner.listWebhooks(late.operatorId);
    expect(listed).toEqual([expect.objectContaining({ id: webhook.id })]);
    expect(listed[0]).not.toHaveProperty('secret');
    const admin = network.admin();
    const slashOnly = await admin.registerWebhook(late.operatorId, { url: hooks.url, kinds: ['slashed'] });
    expect(slashOnly.createdBy).toBe('admin');

    // A lease the late operator holds past its deadline expires, and costs it the expiry slash.
    await client.publishEu(spinEu({ quorum: 1, iterations: 1000, timeoutMs: 300 }));
    const { taskIds } = await client.submitTasks('spin', inputs(6));
    await log.waitForSettled(taskIds);
    await log.waitFor(
      (e) => e.type === 'ledger.slashed' && e.operatorId === late.operatorId,
      'the expiry slash of the late operator',
    );
    const expired = await hooks.waitFor((r) => r.payload.kind === 'lease_expired');
    expect(expired.payload.event).toMatchObject({
      type: 'assignment.expired',
      data: { operatorId: late.operatorId, reason: 'lease_deadline' },
    });
    const slashed = await hooks.waitFor((r) => r.payload.kind === 'slashed' && r.payload.webhookId === webhook.id);
    expect(slashed.payload.event).toMatchObject({
      type: 'ledger.slashed',
      data: { operatorId: late.operatorId, reason: 'lease_deadline', amount: 5 },
    });
    await hooks.waitFor((r) => r.payload.kind === 'slashed' && r.payload.webhookId === slashOnly.id);

    // Offline, and back: the same key on a new process.
    await late.kill('SIGKILL');
    const offline = await hooks.waitFor((r) => r.payload.kind === 'offline');
    expect(offline.payload.event.data).toMatchObject({ operatorId: late.operatorId });
    await network.startOperator({ region: 'r3', maxConcurrent: 1, workers: 1, name: 'late', stake: 0 });
    const online = await hooks.waitFor(
      (r) => r.payload.kind === 'online' && r.payload.event.ts > offline.payload.event.ts,
    );
    expect(online.headers[WEBHOOK_HEADERS.kind]).toBe('online');

    // Every delivery verifies with its webhook's secret, and not with another's or over another body.
    const secrets = new Map([
      [webhook.id, webhook.secret],
      [slashOnly.id, slashOnly.secret],
    ]);
    for (const r of hooks.received) {
      const secret = secrets.get(r.payload.webhookId)!;
      const header = r.headers[WEBHOOK_HEADERS.signature] as string;
      expect(verifyWebhookSignature(secret, header, r.body)).toBe(true);
      expect(verifyWebhookSignature('0'.repeat(64), header, r.body)).toBe(false);
      expect(verifyWebhookSignature(secret, header, r.body.replace('}', ' }'))).toBe(false);
      expect(r.headers[WEBHOOK_HEADERS.delivery]).toBe(r.payload.deliveryId);
      expect(r.payload.operatorId).toBe(late.operatorId);
      expect(slashOnly.id === r.payload.webhookId ? r.payload.kind : 'slashed').toBe('slashed');
    }

    // The first request was answered 500; the same delivery came again and was taken.
    const first = hooks.received[0]!;
    expect(first.answered).toBe(500);
    const retried = hooks.received.filter((r) => r.payload.deliveryId === first.payload.deliveryId);
    expect(retried.map((r) => r.answered)).toEqual([500, 204]);
    const owned = secrets.get(first.payload.webhookId) === webhook.secret ? owner : admin;
    let entry: WebhookDeliveryView | undefined;
    // The attempt is recorded in the engine turn after the answer: read until the log shows it.
    for (;;) {
      const deliveries = await owned.listWebhookDeliveries(late.operatorId, first.payload.webhookId);
      entry = deliveries.find((d) => d.id === first.payload.deliveryId);
      if (entry?.status === 'delivered') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(entry).toMatchObject({ attempts: 2, nextAttemptAt: null, kind: first.payload.kind });
    expect(entry.log.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 204],
    ]);
    expect(entry.log[0]!.error).toMatch(/HTTP 500/);
    expect(entry.log[1]!.error).toBeNull();

    // Another operator's key reads nothing of it; removal stops deliveries and keeps the log.
    const other = new CortenClient(network.url, {
      operatorKeys: loadOrCreateKeyFile(join(network.dir, 'keys', 'op-1.json')).keys,
      adminToken: '',
    });
    await expect(other.listWebhookDeliveries(late.operatorId, webhook.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(owner.listWebhookDeliveries(late.operatorId, 'wh_nope')).rejects.toMatchObject({
      code: 'WEBHOOK_NOT_FOUND',
    });
    expect((await owner.removeWebhook(late.operatorId, webhook.id)).id).toBe(webhook.id);
    await expect(owner.removeWebhook(late.operatorId, webhook.id)).rejects.toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
    expect((await owner.listWebhooks(late.operatorId)).map((w) => w.id)).toEqual([slashOnly.id]);
    expect((await owner.listWebhookDeliveries(late.operatorId, webhook.id)).length).toBeGreaterThan(0);

    // The same from the command line, signed with the key file.
    const key = join(network.dir, 'keys', 'late.json');
    const listedByCli = await runCli(['operator', 'webhook', 'list', '--key', key, '--coordinator', network.url]);
    expect(listedByCli.stdout).toContain(slashOnly.id);
    expect(listedByCli.stdout).not.toContain(webhook.id);
    const cliLog = await runCli([
      'operator',
      'webhook',
      'deliveries',
      webhook.id,
      '--key',
      key,
      '--coordinator',
      network.url,
    ]);
    expect(cliLog.stdout).toMatch(/lease_expired +delivered +\d/);
    const added = await runCli([
      'operator',
      'webhook',
      'add',
      hooks.url,
      '--kinds',
      'suspended,degraded',
      '--key',
      key,
      '--coordinator',
      network.url,
    ]);
    expect(JSON.parse(added.stdout)).toMatchObject({ kinds: ['suspended', 'degraded'], createdBy: 'operator' });
    const refused = await runCli(['operator', 'webhook', 'add', hooks.url, '--kinds', 'bogus', '--key', key]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unknown kind bogus/);
    hooks.close();
  });
});
