/**
 * Bad input of every kind gets a clear error with a stable code, and changes
 * nothing: no task, no event beyond the refusal's own record.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { Coordinator } from '../src/coordinator/index.js';
import { generateKeyPair } from '../src/protocol/index.js';
import { inputs, spinEu } from './fixtures/eus.js';
import { RawOperator } from './helpers/raw-operator.js';
import { tempDir } from './helpers/temp.js';

let coordinator: Coordinator;
let client: CortenClient;
let url: string;
let dir: ReturnType<typeof tempDir>;
const ADMIN = 'test-admin-token';

// A fresh coordinator and database per test, so no test sees another's leftovers.
beforeEach(async () => {
  dir = tempDir('bad-input');
  // Anonymous use on: the raw requests below carry no key.
  coordinator = new Coordinator({
    dataDir: dir.path,
    port: 0,
    publishBuiltinEus: false,
    logLevel: 'silent',
    bodyLimitBytes: 256 * 1024,
    adminToken: ADMIN,
    allowAnonymous: true,
  });
  url = await coordinator.start();
  client = new CortenClient(url, { adminToken: ADMIN });
  await client.publishEu(spinEu({ quorum: 1, iterations: 10 }));
});

afterEach(async (context) => {
  await coordinator.stop();
  dir.cleanup(context.task.result?.state === 'fail');
});

async function post(path: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${url}${path}`, { method: 'POST', body, headers: { 'content-type': contentType } });
  return {
    status: response.status,
    body: (await response.json()) as { error: { code: string; message: string; details?: unknown } },
  };
}

/** Asserts `fn` leaves the task table and the event log as they were (but for `allowedEvents`). */
async function changesNothing(fn: () => Promise<void>, allowedEvents: string[] = []) {
  const before = await client.stats();
  const eventsBefore = (await client.allEvents()).length;
  await fn();
  const after = await client.stats();
  expect(after.tasks).toEqual(before.tasks);
  const newEvents = (await client.allEvents()).slice(eventsBefore);
  expect(newEvents.map((e) => e.type).filter((t) => !allowedEvents.includes(t))).toEqual([]);
}

describe('bad input over HTTP', () => {
  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    await changesNothing(async () => {
      const r = await post('/v1/tasks', '{"eu": "spin", "inputs": [');
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('MALFORMED_JSON');
    });
  });

  it('wrong types → 400 VALIDATION_FAILED naming the field', async () => {
    await changesNothing(async () => {
      const r = await post('/v1/tasks', JSON.stringify({ eu: 42, inputs: 'not-a-list' }));
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(r.body.error.message).toMatch(/body\.eu/);
      expect(r.body.error.message).toMatch(/body\.inputs/);
    });
  });

  it('inputs that break the EU input schema → 422 INPUT_SCHEMA_MISMATCH, and none of the batch is taken', async () => {
    await changesNothing(async () => {
      const r = await post('/v1/tasks', JSON.stringify({ eu: 'spin', inputs: [{ n: 1 }, { n: 'two' }, { n: 3 }] }));
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe('INPUT_SCHEMA_MISMATCH');
      expect(r.body.error.message).toMatch(/inputs\[1\]/);
    });
  });

  it('an unknown EU → 404 EU_NOT_FOUND', async () => {
    await changesNothing(async () => {
      const r = await post('/v1/tasks', JSON.stringify({ eu: 'no-such-eu', inputs: [{ n: 1 }] }));
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('EU_NOT_FOUND');
    });
  });

  it('an oversized payload → 413 PAYLOAD_TOO_LARGE', async () => {
    await changesNothing(async () => {
      const r = await post('/v1/tasks', JSON.stringify({ eu: 'spin', inputs: inputs(30_000) }));
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  it('an unknown route → 404 in the same envelope', async () => {
    const response = await fetch(`${url}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('accepts good input after all that', async () => {
    const { taskIds } = await client.submitTasks('spin', inputs(2));
    expect(taskIds).toHaveLength(2);
  });
});

describe('bad input over the operator protocol', () => {
  it('a result with a bad signature is refused (BAD_SIGNATURE), recorded, and not counted', async () => {
    const op = await RawOperator.connect(url);
    const { taskIds } = await client.submitTasks('spin', [{ n: 7 }]);
    const a = await op.nextAssignment();
    expect(a.taskId).toBe(taskIds[0]);
    await changesNothing(async () => {
      op.send({ t: 'results', results: [op.result(a, { n: 7, h: 1 }, generateKeyPair())] });
      const ack = await op.next((f) => f.t === 'ack');
      expect(ack.refused).toEqual([expect.objectContaining({ assignmentId: a.assignmentId, code: 'BAD_SIGNATURE' })]);
    }, ['results.refused']);
    const task = await client.getTask(a.taskId);
    expect(task.status).toBe('running');
    expect(task.assignments[0]!.status).toBe('leased');
    // The same operator can still deliver a good result afterwards.
    op.send({ t: 'results', results: [op.result(a, { n: 7, h: 1 })] });
    const ack = await op.next((f) => f.t === 'ack');
    expect(ack.accepted).toEqual([a.assignmentId]);
    op.close();
  });

  it('a result for an assignment the operator does not hold is refused (ASSIGNMENT_NOT_HELD)', async () => {
    const holder = await RawOperator.connect(url);
    const { taskIds } = await client.submitTasks('spin', [{ n: 8 }]);
    const a = await holder.nextAssignment();
    expect(a.taskId).toBe(taskIds[0]);
    const intruder = await RawOperator.connect(url);
    await changesNothing(async () => {
      intruder.send({ t: 'results', results: [intruder.result(a, { n: 8, h: 8 })] });
      const ack = await intruder.next((f) => f.t === 'ack');
      expect(ack.refused).toEqual([expect.objectContaining({ code: 'ASSIGNMENT_NOT_HELD' })]);
      intruder.send({ t: 'results', results: [intruder.result({ ...a, assignmentId: 'a_made_up' }, { n: 8, h: 8 })] });
      const ack2 = await intruder.next((f) => f.t === 'ack');
      expect(ack2.refused).toEqual([expect.objectContaining({ code: 'ASSIGNMENT_NOT_HELD' })]);
    }, ['results.refused']);
    expect((await client.getTask(a.taskId)).assignments[0]!.status).toBe('leased');
    holder.close();
    intruder.close();
  });

  it('malformed frames get an error frame with a code and the connection stays usable', async () => {
    const op = await RawOperator.connect(url);
    await changesNothing(async () => {
      op.send('{"t": "results", "results": [');
      expect((await op.next((f) => f.t === 'error')).code).toBe('MALFORMED_JSON');
      // A malformed result is refused alone, in the ack, not as a broken frame.
      op.send({ t: 'results', results: [{ assignmentId: 5 }] });
      const ack = await op.next((f) => f.t === 'ack');
      expect(ack.refused).toEqual([
        expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/results\.0/) }),
      ]);
      op.send({ t: 'results', results: 'none' });
      expect((await op.next((f) => f.t === 'error')).code).toBe('VALIDATION_FAILED');
    }, ['results.refused']);
    op.send({ t: 'hb', running: 0 });
    op.close();
  });

  it('a hello signed with the wrong key is rejected with AUTH_FAILED', async () => {
    const { default: WebSocket } = await import('ws');
    const socket = new WebSocket(`${url.replace('http', 'ws')}/v1/operators/connect`);
    const frames: { t: string; code?: string }[] = [];
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { t: string; nonce?: string };
      frames.push(frame);
      if (frame.t === 'challenge') {
        const keys = generateKeyPair();
        socket.send(
          JSON.stringify({
            t: 'hello',
            protocol: 1,
            publicKey: keys.publicKey.toString('hex'),
            signature: 'ab'.repeat(64),
            region: 'x',
            resources: { cpu: 1, memoryMb: 1 },
            maxConcurrent: 1,
          }),
        );
      }
    });
    expect(await closed).toBe(4003);
    expect(frames.find((f) => f.t === 'error')?.code).toBe('AUTH_FAILED');
  });
});
