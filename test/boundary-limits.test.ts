/**
 * Limits at the boundaries (issue 8, points 1, 2, 7, 8): nothing a party
 * sends stops the coordinator, a bad result is refused alone, refusals are
 * counted rather than logged one by one, and every error (fastify's own
 * included) comes in the envelope.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { Coordinator } from '../src/coordinator/index.js';
import { FLOOD_LIMIT } from '../src/coordinator/engine/refusal-tally.js';
import { MAX_FRAME_DEPTH, MAX_VALUE_DEPTH, type CortenEvent } from '../src/protocol/index.js';
import { spinEu } from './fixtures/eus.js';
import { EventLog } from './helpers/event-log.js';
import { RawOperator } from './helpers/raw-operator.js';
import { tempDir } from './helpers/temp.js';

const ADMIN = 'limits-admin';
let coordinator: Coordinator;
let client: CortenClient;
let url: string;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  dir = tempDir('limits');
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

/** A value nested `depth` levels deep: [[[…0…]]]. */
function nested(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function nestedText(depth: number): string {
  return `${'['.repeat(depth)}0${']'.repeat(depth)}`;
}

async function request(path: string, init: RequestInit = {}) {
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as { error: { code: string; message: string } } };
}

const ofType = (events: CortenEvent[], type: string) => events.filter((e) => e.type === type);

describe('one frame cannot stop the coordinator', () => {
  it('the frame of the issue (a refused result, then one nested 6,000 levels deep) is refused and the coordinator runs on', async () => {
    const op = await RawOperator.connect(url);
    const { taskIds } = await client.submitTasks('spin', [{ n: 1 }]);
    const a = await op.nextAssignment();
    // Sent as text: the test's own JSON.stringify could not serialise 6,000 levels either.
    const bogus = JSON.stringify(op.result({ ...a, assignmentId: 'a_nobody' }, { n: 1, h: 1 }));
    const deep = JSON.stringify(op.result(a, 0)).replace('"output":0', `"output":${nestedText(6000)}`);
    op.send(`{"t":"results","results":[${bogus},${deep}]}`);
    const error = await op.next((f) => f.t === 'error');
    expect(error.code).toBe('JSON_TOO_DEEP');
    // Still up, still serving, the lease still open and deliverable.
    expect((await client.getTask(taskIds[0]!)).assignments[0]!.status).toBe('leased');
    op.send({ t: 'results', results: [op.result(a, { n: 1, h: 1 })] });
    expect((await op.next((f) => f.t === 'ack')).accepted).toEqual([a.assignmentId]);
    op.close();
  });

  it('each result is judged alone: a refused one and a too-deep one do not stop a good one in the same frame', async () => {
    const op = await RawOperator.connect(url);
    const { taskIds } = await client.submitTasks('spin', [{ n: 2 }, { n: 3 }]);
    const first = (await op.next((f) => f.t === 'assign')) as unknown as { assignments: { taskId: string }[] };
    const assigned =
      first.assignments.length === 2 ? first.assignments : [...first.assignments, await op.nextAssignment()];
    const [a, b] = assigned as unknown as Parameters<RawOperator['result']>[0][];
    const tooDeep = op.result(a!, nested(MAX_VALUE_DEPTH + 1));
    expect(JSON.stringify(tooDeep).length).toBeLessThan(MAX_FRAME_DEPTH * 4);
    op.send({
      t: 'results',
      results: [
        op.result({ ...a!, assignmentId: 'a_nobody' }, 1),
        tooDeep,
        { assignmentId: 'a_broken', attempt: 'x' },
        op.result(b!, { n: 3, h: 3 }),
      ],
    });
    const ack = await op.next((f) => f.t === 'ack');
    expect(ack.accepted).toEqual([b!.assignmentId]);
    expect(ack.refused).toEqual([
      expect.objectContaining({ assignmentId: 'a_broken', code: 'VALIDATION_FAILED' }),
      expect.objectContaining({ assignmentId: 'a_nobody', code: 'ASSIGNMENT_NOT_HELD' }),
      expect.objectContaining({ assignmentId: a!.assignmentId, code: 'JSON_TOO_DEEP' }),
    ]);
    const verified = await client.getTask(b!.taskId);
    expect(verified.status).toBe('verified');
    expect(taskIds).toContain(verified.id);
    expect((await client.getTask(a!.taskId)).assignments[0]!.status).toBe('leased');
    op.close();
  });
});

describe('deep JSON over HTTP', () => {
  it('a body nested 5,000 levels deep → 400 JSON_TOO_DEEP, nothing submitted', async () => {
    const before = await client.stats();
    const r = await request('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"eu":"spin","inputs":[${nestedText(5000)}]}`,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('JSON_TOO_DEEP');
    const inside = await request('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eu: 'spin', inputs: [nested(MAX_VALUE_DEPTH + 1)] }),
    });
    expect(inside.status).toBe(400);
    expect(inside.body.error.code).toBe('JSON_TOO_DEEP');
    expect((await client.stats()).tasks).toEqual(before.tasks);
  });
});

describe('every error in the envelope', () => {
  it.each([
    ['an over-long path parameter', `/v1/tasks/${'t'.repeat(500)}`, {}, 414, 'URI_TOO_LONG'],
    ['a bad % escape', '/v1/tasks/%zz', {}, 400, 'MALFORMED_URL'],
    ['a bad % escape in an unknown route', '/%E0%A4%A', {}, 400, 'MALFORMED_URL'],
    ['an unknown route', '/v1/nowhere', {}, 404, 'NOT_FOUND'],
    ['an EU ref that is a bare %', '/v1/eus/%25', {}, 404, 'EU_NOT_FOUND'],
    ["plain HTTP to the operators' WebSocket", '/v1/operators/connect', {}, 426, 'UPGRADE_REQUIRED'],
    [
      'a text body',
      '/v1/tasks',
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'an odd content type',
      '/v1/tasks',
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'an empty JSON body',
      '/v1/tasks',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' },
      400,
      'MALFORMED_JSON',
    ],
    [
      'a body over the limit',
      '/v1/tasks',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: `"${'x'.repeat(300 * 1024)}"` },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ] as const)('%s', async (_label, path, init, status, code) => {
    const r = await request(path, init as RequestInit);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.error.message).toBe('string');
  });
});

describe('operators cannot flood the event log', () => {
  it('refusals are counted per operator and reason; a flooder is disconnected and loses standing', async () => {
    const op = await RawOperator.connect(url);
    const eventsBefore = (await client.allEvents()).length;
    const log = new EventLog(url);
    await log.follow();
    const frame = (from: number) => ({
      t: 'results',
      results: Array.from({ length: 100 }, (_, i) => ({
        assignmentId: `a_ghost_${from + i}`,
        attempt: 1,
        output: 1,
        outputHash: '0'.repeat(64),
        signature: '0'.repeat(128),
        metrics: { durationMs: 1 },
      })),
    });
    // Past the flood limit: the coordinator closes the socket before the last frames are even read.
    const frames = Math.ceil((FLOOD_LIMIT + 1) / 100) + 1;
    for (let i = 0; i < frames; i++) op.send(frame(i * 100));
    expect(await op.closed).toBe(4008);
    const offline = await log.waitFor(
      (e) => e.type === 'operator.offline' && e.operatorId === op.operatorId,
      'the flooder offline',
    );
    log.close();
    expect((offline.data as { reason: string }).reason).toBe('refused_flood');
    const events = (await client.allEvents()).slice(eventsBefore);
    const refused = ofType(events, 'results.refused');
    // Thousands of refusals, a handful of events: one per operator per second at most, plus the last counts.
    expect(refused.length).toBeLessThanOrEqual(3);
    const total = refused.reduce((sum, e) => sum + (e.data as { total: number }).total, 0);
    expect(total).toBeGreaterThan(FLOOD_LIMIT);
    expect(
      refused.every((e) => Object.keys((e.data as { counts: object }).counts).join() === 'ASSIGNMENT_NOT_HELD'),
    ).toBe(true);
    expect(events.length).toBeLessThan(10);
    const standing = coordinator.getOperator(op.operatorId);
    expect(standing.reputation.leaseCompletion).toBeLessThan(0.5);
  });
});
