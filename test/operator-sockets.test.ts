/**
 * The operators' WebSocket endpoint (gateway/operator-sockets.ts), served on the API's HTTP server outside
 * fastify: an upgrade to its path gets the challenge, an upgrade anywhere else is answered 404, a frame over
 * the limit closes the socket (1009), and the coordinator carries on through all of it.
 */
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Coordinator } from '../src/coordinator/index.js';
import { MAX_OPERATOR_FRAME_BYTES } from '../src/protocol/index.js';
import { tempDir } from './helpers/temp.js';

let coordinator: Coordinator;
let ws: string;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  dir = tempDir('operator-sockets');
  coordinator = new Coordinator({ dataDir: dir.path, port: 0, publishBuiltinEus: false, logLevel: 'silent' });
  ws = (await coordinator.start()).replace(/^http/, 'ws');
});

afterEach(async (context) => {
  await coordinator.stop();
  dir.cleanup(context.task.result?.state === 'fail');
});

/** The first frame a socket to `path` receives, parsed. */
async function firstFrame(path: string): Promise<{ t: string }> {
  const socket = new WebSocket(`${ws}${path}`);
  const [data] = (await once(socket, 'message')) as [Buffer];
  socket.terminate();
  return JSON.parse(data.toString('utf8')) as { t: string };
}

describe("operators' WebSocket endpoint", () => {
  it('sends the challenge on its path, with or without a query', async () => {
    expect((await firstFrame('/v1/operators/connect')).t).toBe('challenge');
    expect((await firstFrame('/v1/operators/connect?client=x')).t).toBe('challenge');
  });

  it('answers an upgrade to any other path 404, and still serves operators', async () => {
    const socket = new WebSocket(`${ws}/v1/tasks`);
    socket.on('error', () => {});
    const [, response] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(404);
    socket.terminate();
    expect((await firstFrame('/v1/operators/connect')).t).toBe('challenge');
  });

  it('closes a socket that sends a frame over the limit (1009), and still serves operators', async () => {
    const socket = new WebSocket(`${ws}/v1/operators/connect`);
    await once(socket, 'message');
    socket.on('error', () => {});
    socket.send('x'.repeat(MAX_OPERATOR_FRAME_BYTES + 1));
    const [code] = (await once(socket, 'close')) as [number];
    expect(code).toBe(1009);
    expect((await firstFrame('/v1/operators/connect')).t).toBe('challenge');
  });
});
