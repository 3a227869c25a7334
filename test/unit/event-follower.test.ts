/**
 * The resuming event reader against a scripted SSE server on loopback: it
 * resumes from the last delivered id after a break, never delivers an event
 * twice, retries what may pass (5xx, a refused connection) and gives up at
 * once on what will not (4xx).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import type { CortenEvent } from '../../src/protocol/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, connection: number) => void;
const servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

async function serve(handler: Handler): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push({
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const event = (seq: number): CortenEvent =>
  ({ seq, type: 'task.verified', ts: seq, taskId: `t_${seq}`, operatorId: null, data: {} }) as CortenEvent;
const sse = (seqs: number[]) =>
  seqs.map((s) => `id: ${s}\nevent: task.verified\ndata: ${JSON.stringify(event(s))}\n\n`).join('');
const fast = { minDelayMs: 1, maxDelayMs: 2 };

async function take(iterator: AsyncGenerator<CortenEvent>, count: number): Promise<number[]> {
  const seen: number[] = [];
  for await (const e of iterator) {
    seen.push(e.seq);
    if (seen.length === count) break;
  }
  return seen;
}

describe('CortenClient.follow', () => {
  it('resumes after a break from the last delivered id and drops what the server sends again', async () => {
    const { url, requests } = await serve((_req, res, connection) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connection === 1) {
        res.write(': corten event stream after 0\n\n');
        res.end(sse([1, 2, 3]));
      } else {
        // A server that replays a little too much: 2 and 3 were delivered already.
        res.write(': corten event stream after 1\n\n');
        res.write(sse([2, 3, 4, 5]));
      }
    });
    const disconnects: (number | undefined)[] = [];
    const follow = new CortenClient(url).follow(
      { after: 0 },
      { ...fast, onDisconnect: (d) => disconnects.push(d.position) },
    );
    const seen = await take(follow, 5);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(requests[0]!.headers['last-event-id']).toBe('0');
    expect(requests[1]!.headers['last-event-id']).toBe('3');
    expect(requests[1]!.url).toContain('after=3');
    expect(disconnects).toEqual([3]);
  });

  it('resumes from the announced position when it broke before any event', async () => {
    const { url, requests } = await serve((_req, res, connection) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connection === 1) res.end(': corten event stream after 41\n\n');
      else res.write(sse([42]));
    });
    expect(await take(new CortenClient(url).follow({}, fast), 1)).toEqual([42]);
    expect(requests[0]!.headers['last-event-id']).toBeUndefined();
    expect(requests[1]!.headers['last-event-id']).toBe('41');
  });

  it('retries a 503 with backoff, then delivers', async () => {
    const { url } = await serve((_req, res, connection) => {
      if (connection < 3) {
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error":{"code":"SHUTTING_DOWN","message":"restarting"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse([7]));
    });
    const delays: number[] = [];
    const follow = new CortenClient(url).follow({ after: 6 }, { ...fast, onDisconnect: (d) => delays.push(d.delayMs) });
    expect(await take(follow, 1)).toEqual([7]);
    expect(delays).toHaveLength(2);
  });

  it('ends with the server error on a 4xx, without retrying', async () => {
    const { url, requests } = await serve((_req, res) => {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"error":{"code":"VALIDATION_FAILED","message":"bad after"}}');
    });
    await expect(take(new CortenClient(url).follow({ after: 0 }, fast), 1)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(requests).toHaveLength(1);
  });

  it('gives up after giveUpAfterMs without a connection when asked to', async () => {
    const { url } = await serve(() => {});
    await servers.pop()!.close();
    const follow = new CortenClient(url).follow({ after: 0 }, { ...fast, giveUpAfterMs: 1 });
    await expect(take(follow, 1)).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('no event stream'),
    });
  });

  it('ends quietly when its signal is aborted', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse([1]));
    });
    const stop = new AbortController();
    const seen: number[] = [];
    for await (const e of new CortenClient(url).follow({ after: 0 }, { signal: stop.signal })) {
      seen.push(e.seq);
      stop.abort();
    }
    expect(seen).toEqual([1]);
  });
});
