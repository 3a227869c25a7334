/**
 * Webhook delivery: `node dist/bench/webhook-delivery.js [deliveries] [webhooks]`.
 * Alerts of one engine-like turn become pending deliveries on a SQLite store
 * in a temporary folder; the dispatcher POSTs them to a receiver on loopback
 * and records every attempt through turns, as in the coordinator. Prints
 * deliveries a second and the time from the commit that wrote a delivery to
 * its receipt. Nothing here passes or fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { defaultConfig } from '../src/coordinator/config/index.js';
import { Turn } from '../src/coordinator/memory/index.js';
import { WebhookDispatcher, WebhookRegistry } from '../src/coordinator/webhooks/index.js';
import type { WebhookPayload } from '../src/protocol/index.js';
import { SqliteStore } from '../src/store/index.js';

const total = Number(process.argv[2] ?? 5000);
const webhooks = Number(process.argv[3] ?? 50);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'corten-webhook-bench-'));
  const store = new SqliteStore({ dir });
  await store.migrate();
  const registry = new WebhookRegistry(10);
  const command = async <T>(fn: (turn: Turn) => T): Promise<T> => {
    const turn = new Turn(Date.now());
    const value = fn(turn);
    registry.queueDeliveries(turn);
    await store.commit(turn.changes);
    turn.flush(new Map(), () => {});
    return value;
  };
  const latencies: number[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      latencies.push(Date.now() - (JSON.parse(body) as WebhookPayload).event.ts);
      response.writeHead(204).end();
      if (latencies.length === total) done();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  for (let w = 0; w < webhooks; w++) {
    await command((turn) =>
      registry.register(turn, { operatorId: `op_${w}`, url, kinds: ['offline'], description: '', createdBy: 'admin' }),
    );
  }
  const dispatcher = new WebhookDispatcher({
    store,
    registry,
    command,
    config: defaultConfig(),
    log: pino({ level: 'silent' }),
  });
  dispatcher.start();
  const started = performance.now();
  // Bursts of 100 alerts a turn, as a region going down would make.
  for (let sent = 0; sent < total; sent += 100) {
    await command((turn) => {
      for (let i = sent; i < Math.min(total, sent + 100); i++) {
        const operatorId = `op_${i % webhooks}`;
        turn.event('operator.offline', { operatorId, region: 'r', reason: 'closed', expired: 0 }, { operatorId });
      }
    });
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  console.log(
    `webhook delivery: ${total} deliveries to ${webhooks} webhooks in ${seconds.toFixed(2)} s ` +
      `(${Math.round(total / seconds)}/s, ${defaultConfig().webhookConcurrency} in flight); ` +
      `commit to receipt p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
  );
  dispatcher.stop();
  receiver.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
