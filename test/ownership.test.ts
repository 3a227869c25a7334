/**
 * Ownership over real HTTP: a key reads only what its account owns (tasks,
 * their events paged and live, receipts), the admin reads everything, a
 * request without a key reads only anonymous objects (and only when
 * anonymous use is on), region control is the admin's, and the first
 * publisher of an EU name owns it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { Coordinator } from '../src/coordinator/index.js';
import type { CortenEvent } from '../src/protocol/index.js';
import { spinEu, spinOutput } from './fixtures/eus.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';
import { RawOperator } from './helpers/raw-operator.js';
import { tempDir } from './helpers/temp.js';

const ADMIN = 'owner-test-admin';
/** Iterations of the spin EU: the raw operator computes the output itself. */
const ITERATIONS = 10;

const running: { coordinator: Coordinator; ops: RawOperator[]; dir: ReturnType<typeof tempDir> }[] = [];

afterEach(async (context) => {
  for (const { coordinator, ops, dir } of running.splice(0)) {
    for (const op of ops) op.close();
    await coordinator.stop();
    dir.cleanup(context.task.result?.state === 'fail');
  }
});

async function start(options: { allowAnonymous?: boolean; builtins?: boolean; dir?: ReturnType<typeof tempDir> } = {}) {
  const dir = options.dir ?? tempDir('ownership');
  const coordinator = new Coordinator({
    dataDir: dir.path,
    port: 0,
    publishBuiltinEus: options.builtins ?? false,
    logLevel: 'silent',
    adminToken: ADMIN,
    allowAnonymous: options.allowAnonymous ?? false,
  });
  const url = await coordinator.start();
  const entry = { coordinator, ops: [] as RawOperator[], dir };
  running.push(entry);
  const admin = new CortenClient(url, { adminToken: ADMIN });
  const account = async (name: string) => {
    const created = await admin.createAccount(name);
    return { id: created.id, client: new CortenClient(url, { apiKey: created.apiKey }) };
  };
  return { coordinator, url, admin, account, anonymous: new CortenClient(url, { apiKey: '', adminToken: '' }), entry };
}

/** An operator that answers every assignment correctly, so tasks reach a verdict. */
async function honestOperator(url: string, entry: { ops: RawOperator[] }): Promise<void> {
  const op = await RawOperator.connect(url);
  entry.ops.push(op);
  void (async () => {
    for (;;) {
      const a = await op.nextAssignment();
      op.send({ t: 'results', results: [op.result(a, spinOutput((a.input as { n: number }).n, ITERATIONS))] });
    }
  })();
}

/** Resolves with the first event on `client`'s live stream that matches. */
function nextEvent(
  client: CortenClient,
  match: (e: CortenEvent) => boolean,
  seen: CortenEvent[] = [],
): Promise<CortenEvent> {
  return new Promise((resolve, reject) => {
    const stream = client.stream({ after: 0 }, (e) => {
      seen.push(e);
      if (match(e)) {
        stream.close();
        resolve(e);
      }
    });
    stream.done.catch(reject);
  });
}

/**
 * Everything `client`'s event stream replays from the start: the admin marks
 * a region down after the stream is open, and that public event is the last
 * one the stream is waited for.
 */
async function streamedEvents(client: CortenClient, admin: CortenClient, marker: string): Promise<CortenEvent[]> {
  const seen: CortenEvent[] = [];
  const isMarker = (e: CortenEvent) => e.type === 'region.down' && (e.data as { region: string }).region === marker;
  const done = nextEvent(client, isMarker, seen);
  await admin.setRegion(marker, true, 'end of replay');
  await done;
  return seen;
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code: string; httpStatus: number };
    return { code: e.code, status: e.httpStatus };
  }
  throw new Error('expected the request to fail');
}

describe('reads are scoped to the owner', () => {
  it("another's key and no key cannot read a task, its events (paged and live) or its receipt; the admin can", async () => {
    const { url, admin, account, anonymous, entry } = await start();
    const alice = await account('alice');
    const bob = await account('bob');
    await alice.client.publishEu(spinEu({ quorum: 1, iterations: ITERATIONS }));
    await honestOperator(url, entry);
    const verified = nextEvent(admin, (e) => e.type === 'task.verified');
    const {
      taskIds: [taskId],
    } = await alice.client.submitTasks('spin', [{ n: 7 }]);
    expect((await verified).taskId).toBe(taskId);

    // The owner reads it all.
    expect((await alice.client.getTask(taskId!)).verdict?.output).toEqual(spinOutput(7, ITERATIONS));
    expect((await alice.client.getReceipt(taskId!)).taskId).toBe(taskId);
    expect((await alice.client.listTasks()).map((t) => t.id)).toEqual([taskId]);
    const own = await alice.client.allEvents({ taskId: taskId! });
    const types = ['task.submitted', 'task.assigned', 'task.verified'];
    expect(own.map((e) => e.type)).toEqual(expect.arrayContaining(types));
    expect(own.every((e) => e.owner === alice.id)).toBe(true);

    // Another account, and no key: not found, exactly like a task that does not exist.
    const missing = await failure(bob.client.getTask('t_0000000000000000'));
    expect(missing).toEqual({ code: 'TASK_NOT_FOUND', status: 404 });
    expect(await failure(bob.client.getTask(taskId!))).toEqual(missing);
    expect(await failure(bob.client.getReceipt(taskId!))).toEqual(missing);
    expect(await bob.client.listTasks()).toEqual([]);
    expect(await bob.client.allEvents({ taskId: taskId! })).toEqual([]);
    expect((await bob.client.allEvents()).filter((e) => e.taskId !== null || e.type.startsWith('ledger.'))).toEqual([]);
    expect(await failure(anonymous.getTask(taskId!))).toEqual({ code: 'UNAUTHORIZED', status: 401 });
    expect(await failure(anonymous.getReceipt(taskId!))).toEqual({ code: 'UNAUTHORIZED', status: 401 });
    expect(await failure(anonymous.listTasks())).toEqual({ code: 'UNAUTHORIZED', status: 401 });
    expect((await anonymous.allEvents()).filter((e) => e.taskId !== null)).toEqual([]);

    // The live stream: the same filter, event by event.
    const bobStream = await streamedEvents(bob.client, admin, 'marker-bob');
    expect(bobStream.filter((e) => e.taskId !== null)).toEqual([]);
    expect(bobStream.some((e) => e.type === 'eu.published')).toBe(true);
    const anonymousStream = await streamedEvents(anonymous, admin, 'marker-anon');
    expect(anonymousStream.filter((e) => e.taskId !== null)).toEqual([]);
    const aliceStream = await streamedEvents(alice.client, admin, 'marker-alice');
    expect(aliceStream.filter((e) => e.taskId === taskId).map((e) => e.type)).toEqual(own.map((e) => e.type));
    // Alice's deposits and escrow are hers; operators' stake and refusals are the admin's.
    const adminStream = await streamedEvents(admin, admin, 'marker-admin');
    expect(adminStream.filter((e) => e.taskId === taskId)).toHaveLength(own.length);

    // The admin reads everything.
    expect((await admin.getTask(taskId!)).status).toBe('verified');
    expect((await admin.getReceipt(taskId!)).taskId).toBe(taskId);
    expect((await admin.listTasks()).map((t) => t.id)).toEqual([taskId]);

    // The network's public face stays public.
    expect((await anonymous.listOperators()).length).toBe(1);
    expect((await anonymous.listRegions()).length).toBeGreaterThan(0);
    expect((await anonymous.getReputation(entry.ops[0]!.operatorId)).operatorId).toBe(entry.ops[0]!.operatorId);
  });

  it('the CLI sends the key on reads: task get, receipt get and events show the owner its task, not another', async () => {
    const { url, admin, account, entry } = await start();
    const alice = await account('alice');
    const bob = await account('bob');
    await alice.client.publishEu(spinEu({ quorum: 1, iterations: ITERATIONS }));
    await honestOperator(url, entry);
    const verified = nextEvent(admin, (e) => e.type === 'task.verified');
    const {
      taskIds: [taskId],
    } = await alice.client.submitTasks('spin', [{ n: 3 }]);
    await verified;
    const as = (client: CortenClient) => ({ CORTEN_URL: url, CORTEN_API_KEY: keyOf(client), CORTEN_ADMIN_TOKEN: '' });

    const task = await runCli(['task', 'get', taskId!], as(alice.client));
    expect(task.code).toBe(0);
    expect((JSON.parse(task.stdout) as { status: string }).status).toBe('verified');
    expect((await runCli(['receipt', 'get', taskId!], as(alice.client))).code).toBe(0);
    const events = await runCli(['events', '--task', taskId!], as(alice.client));
    expect(events.stdout).toContain('task.verified');

    const refused = await runCli(['task', 'get', taskId!], as(bob.client));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('TASK_NOT_FOUND');
    expect((await runCli(['receipt', 'get', taskId!], as(bob.client))).stderr).toContain('TASK_NOT_FOUND');
    expect((await runCli(['events', '--task', taskId!], as(bob.client))).stdout).toBe('');
  });

  it('a bad key on the event stream gets the error envelope before the stream opens', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/v1/events/stream`, { headers: { authorization: 'Bearer ck_not_a_key' } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });
});

describe('anonymous use', () => {
  it('is refused by default with ANONYMOUS_DISABLED, and changes nothing', async () => {
    const { admin, anonymous } = await start();
    await admin.publishEu(spinEu({ quorum: 1, iterations: ITERATIONS }));
    const refused = await failure(anonymous.submitTasks('spin', [{ n: 1 }]));
    expect(refused).toEqual({ code: 'ANONYMOUS_DISABLED', status: 401 });
    expect(await admin.listTasks()).toEqual([]);
    expect((await admin.allEvents()).filter((e) => e.type === 'task.submitted')).toEqual([]);
  });

  it('with --allow-anonymous, anonymous and account objects never mix', async () => {
    const { admin, account, anonymous } = await start({ allowAnonymous: true });
    const alice = await account('alice');
    await admin.publishEu(spinEu({ quorum: 1, iterations: ITERATIONS }));
    const {
      taskIds: [anonTask],
    } = await anonymous.submitTasks('spin', [{ n: 1 }]);
    const {
      taskIds: [aliceTask],
    } = await alice.client.submitTasks('spin', [{ n: 2 }]);

    expect((await anonymous.listTasks()).map((t) => t.id)).toEqual([anonTask]);
    expect((await alice.client.listTasks()).map((t) => t.id)).toEqual([aliceTask]);
    expect((await admin.listTasks()).map((t) => t.id).sort()).toEqual([anonTask, aliceTask].sort());
    expect((await anonymous.getTask(anonTask!)).id).toBe(anonTask);
    expect(await failure(anonymous.getTask(aliceTask!))).toEqual({ code: 'TASK_NOT_FOUND', status: 404 });
    expect(await failure(alice.client.getTask(anonTask!))).toEqual({ code: 'TASK_NOT_FOUND', status: 404 });

    // With no operator online, each task is marked waiting within moments of its submission: wait for both
    // marks, so that every read below sees the tasks' whole log, however slow the machine.
    let waiting = 0;
    await nextEvent(admin, (e) => e.type === 'task.waiting' && ++waiting === 2);
    const taskLog = (events: CortenEvent[]) =>
      events.filter((e) => e.taskId !== null).map((e) => [e.type, e.taskId] as const);
    const logOf = (taskId: string | undefined) => [
      ['task.submitted', taskId],
      ['task.waiting', taskId],
    ];
    expect(taskLog(await anonymous.allEvents())).toEqual(logOf(anonTask));
    expect(taskLog(await alice.client.allEvents())).toEqual(logOf(aliceTask));
    expect(taskLog(await streamedEvents(anonymous, admin, 'marker'))).toEqual(logOf(anonTask));
  });
});

describe('the coordinator command', () => {
  it('turns anonymous use on with --allow-anonymous, and leaves it off without', async () => {
    for (const allowAnonymous of [false, true]) {
      const { network, client } = await startNetwork(`anon-flag-${allowAnonymous}`, [], { allowAnonymous });
      await client.publishEu(spinEu({ quorum: 1, iterations: ITERATIONS }));
      const anonymous = new CortenClient(network.url, { apiKey: '', adminToken: '' });
      const submitted = anonymous.submitTasks('spin', [{ n: 1 }]);
      if (allowAnonymous) expect((await submitted).taskIds).toHaveLength(1);
      else expect(await failure(submitted)).toEqual({ code: 'ANONYMOUS_DISABLED', status: 401 });
    }
  });
});

describe('network control', () => {
  it('PUT /v1/regions/:region needs the admin token, and a refusal changes nothing', async () => {
    const { url, admin, account } = await start();
    const alice = await account('alice');
    const put = (token?: string) =>
      fetch(`${url}/v1/regions/eu-west`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ down: true, reason: 'attack' }),
      });
    const refusals = [
      [undefined, 401, 'UNAUTHORIZED'],
      [keyOf(alice.client), 403, 'FORBIDDEN'],
    ] as const;
    for (const [token, status, code] of refusals) {
      const response = await put(token);
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect((await admin.listRegions()).filter((r) => r.down)).toEqual([]);
    expect((await put(ADMIN)).status).toBe(200);
    expect((await admin.listRegions()).find((r) => r.region === 'eu-west')?.down).toBe(true);
  });
});

describe('every route that changes state', () => {
  it('refuses a request without a key with 401 in the error envelope', async () => {
    const { url, admin } = await start();
    await admin.publishEu(spinEu({ quorum: 1, iterations: ITERATIONS }));
    const { id } = await admin.createAccount('someone');
    const op = 'op_00000000000000000000';
    const routes: [string, string, unknown][] = [
      ['POST', '/v1/eus', spinEu({ name: 'other' })],
      ['POST', '/v1/tasks', { eu: 'spin', inputs: [{ n: 1 }] }],
      ['PUT', '/v1/regions/eu-west', { down: true }],
      ['POST', '/v1/accounts', { name: 'x' }],
      ['POST', `/v1/accounts/${id}/deposits`, { amount: 5 }],
      ['POST', `/v1/operators/${op}/stake`, { amount: 5 }],
      ['POST', `/v1/operators/${op}/stake/withdrawals`, { amount: 5 }],
      ['POST', `/v1/operators/${op}/earnings/withdrawals`, { amount: 5 }],
      ['POST', `/v1/operators/${op}/reinstate`, {}],
    ];
    const before = await admin.allEvents();
    for (const [method, path, body] of routes) {
      const headers = { 'content-type': 'application/json' };
      const response = await fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body) });
      const route = `${method} ${path}`;
      expect({ route, status: response.status }).toEqual({ route, status: 401 });
      const { error } = (await response.json()) as { error: { code: string } };
      expect(error.code).toMatch(/^(UNAUTHORIZED|ANONYMOUS_DISABLED)$/);
    }
    expect(await admin.allEvents()).toEqual(before);
  });
});

describe('EU names', () => {
  const TAKEN = { code: 'EU_NAME_TAKEN', status: 403 };
  const spin = (version = '1.0.0') => spinEu({ quorum: 1, iterations: ITERATIONS, version });

  it('belong to their first publisher: another gets 403 EU_NAME_TAKEN; the name still resolves to the owner', async () => {
    const dir = tempDir('eu-names');
    const first = await start({ builtins: true, dir });
    const alice = await first.account('alice');
    const bob = await first.account('bob');
    await alice.client.publishEu(spinEu({ quorum: 1, iterations: ITERATIONS }));

    const takeover = spinEu({ quorum: 1, iterations: ITERATIONS, version: '9.0.0' });
    takeover.files['main.js'] = 'export function run() { return { n: 0, h: 0 }; }\n';
    expect(await failure(bob.client.publishEu(takeover))).toEqual(TAKEN);
    expect(await failure(bob.client.publishEu(spin()))).toEqual(TAKEN);
    expect(await failure(first.anonymous.publishEu(takeover))).toEqual({ code: 'UNAUTHORIZED', status: 401 });
    expect((await first.admin.getEu('spin')).version).toBe('1.0.0');
    // Built-in EUs are the network's.
    expect(await failure(alice.client.publishEu(spinEu({ name: 'double', version: '9.0.0' })))).toEqual(TAKEN);
    // The owner publishes new versions; EUs stay readable by all.
    expect((await alice.client.publishEu(spin('2.0.0'))).created).toBe(true);
    expect((await first.anonymous.getEu('spin')).version).toBe('2.0.0');

    // Ownership survives a restart.
    const only = running.splice(0)[0]!;
    await only.coordinator.stop();
    const again = await start({ builtins: true, dir });
    const bobAgain = new CortenClient(again.url, { apiKey: keyOf(bob.client) });
    expect(await failure(bobAgain.publishEu(takeover))).toEqual(TAKEN);
    const aliceAgain = new CortenClient(again.url, { apiKey: keyOf(alice.client) });
    expect((await aliceAgain.publishEu(spin('3.0.0'))).created).toBe(true);
  });
});

/** The API key a client holds (the tests made it). */
function keyOf(client: CortenClient): string {
  return (client as unknown as { apiKey: string }).apiKey;
}
