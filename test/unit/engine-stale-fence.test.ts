/**
 * What the engine does when the store refuses a turn's commit (a stale lease
 * fence here): it stops writing, and every command of that turn and after it
 * fails instead of waiting forever for a commit that will never come.
 */
import { once } from 'node:events';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/coordinator/config/config.js';
import { Engine } from '../../src/coordinator/engine/engine.js';
import { EuRegistry } from '../../src/coordinator/memory/eu-registry.js';
import { EventBus } from '../../src/coordinator/engine/event-bus.js';
import { CortenError } from '../../src/protocol/index.js';
import { type ChangeSet, SqliteStore } from '../../src/store/index.js';
import { assignmentRow, taskRow, withEu } from '../contract/store-fixtures.js';

const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function engineOverLease(): Promise<{ engine: Engine; store: SqliteStore }> {
  const store = new SqliteStore({ dir: ':memory:' });
  stores.push(store);
  await store.migrate();
  const cs: ChangeSet = withEu();
  cs.push({ op: 'task.insert', row: taskRow('t1', { status: 'running', attempts: 1 }) });
  cs.push({ op: 'assignment.insert', row: assignmentRow('a1', 't1', 1) });
  await store.commit(cs);
  const engine = new Engine({
    store,
    config: defaultConfig({ dataDir: ':memory:' }),
    bus: new EventBus(),
    eus: new EuRegistry(() => () => null),
    log: pino({ level: 'silent' }),
    coordinatorId: 'co_test',
  });
  return { engine, store };
}

/** Settles `p` to what it came to, or 'pending' if it has not settled by the next macrotask. */
async function state(p: Promise<unknown>): Promise<string> {
  const settled = p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof CortenError ? e.code : 'rejected'),
  );
  return Promise.race([settled, new Promise<string>((r) => setImmediate(() => r('pending')))]);
}

describe('engine: a refused commit', () => {
  it('fails the commands of the refused turn and of every turn after it, and reports the stale fence', async () => {
    const { engine, store } = await engineOverLease();
    const fatal = once(engine, 'fatal');
    // Memory believes a1 was submitted; the store holds it leased: the fence is stale.
    const refused = engine.command((turn) =>
      turn.updateAssignment({ id: 'a1', attempt: 1, status: 'submitted' }, { status: 'accepted' }),
    );
    const [error] = (await fatal) as [CortenError];
    expect(error.code).toBe('STALE_FENCE');
    expect(await state(refused)).toBe('INTERNAL');
    await expect(refused).rejects.toMatchObject({ cause: error });
    expect(await state(engine.command(() => undefined))).toBe('SHUTTING_DOWN');
    expect((await store.getAssignment('a1'))?.status).toBe('leased');
    await engine.stop();
  });
});
