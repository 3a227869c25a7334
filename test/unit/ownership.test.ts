/**
 * The ownership rules (coordinator/ownership.ts), and the migration that
 * gives rows written before them an owner.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canRead, eventOwner, ownerOf, viewerOf, type Viewer } from '../../src/coordinator/economics/ownership.js';
import type { NewEvent } from '../../src/protocol/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { loadMigrations } from '../../src/store/migrations.js';
import { tempDir } from '../helpers/temp.js';

const event = (type: string, data: object, taskId: string | null = null): NewEvent =>
  ({ type, ts: 0, taskId, operatorId: null, data }) as NewEvent;

describe('ownership rules', () => {
  it('gives each kind of caller its owner and its view', () => {
    expect(ownerOf({ kind: 'account', accountId: 'acct_a' }, false)).toBe('acct_a');
    expect(ownerOf({ kind: 'admin' }, false)).toBe('network');
    expect(ownerOf({ kind: 'anonymous' }, false)).toBeNull();
    expect(ownerOf({ kind: 'anonymous' }, true)).toBe('anonymous');
    expect(viewerOf({ kind: 'admin' }, false)).toEqual({ kind: 'all' });
    expect(viewerOf({ kind: 'anonymous' }, false)).toEqual({ kind: 'public' });
    expect(viewerOf({ kind: 'anonymous' }, true)).toEqual({ kind: 'owner', owner: 'anonymous' });
  });

  it('lets a viewer read its own and the public face, and the admin everything', () => {
    const alice: Viewer = { kind: 'owner', owner: 'acct_a' };
    const anonymous: Viewer = { kind: 'owner', owner: 'anonymous' };
    const owners = ['acct_a', 'acct_b', 'anonymous', 'network', null];
    expect(owners.map((o) => canRead(alice, o))).toEqual([true, false, false, false, true]);
    expect(owners.map((o) => canRead(anonymous, o))).toEqual([false, false, true, false, true]);
    expect([canRead({ kind: 'public' }, 'anonymous'), canRead({ kind: 'public' }, null)]).toEqual([false, true]);
    expect([canRead({ kind: 'all' }, 'acct_a'), canRead({ kind: 'all' }, 'network')]).toEqual([true, true]);
  });

  it("gives an event its task's owner, its account's, the admin's, or none (public)", () => {
    const owner = (e: NewEvent) => eventOwner(e, (id) => (id === 't1' ? 'acct_a' : 'anonymous'));
    expect(owner(event('task.verified', {}, 't1'))).toBe('acct_a');
    expect(owner(event('ledger.slashed', { operatorId: 'op_1' }, 't2'))).toBe('anonymous');
    expect(owner(event('ledger.deposited', { account: 'dev:acct_b' }))).toBe('acct_b');
    expect(owner(event('ledger.deposited', { account: 'stake:op_1' }))).toBe('network');
    expect(owner(event('ledger.slashed', { operatorId: 'op_1' }))).toBe('network');
    expect(owner(event('results.refused', { operatorId: 'op_1' }))).toBe('network');
    for (const type of ['operator.online', 'region.down', 'eu.published', 'coordinator.started']) {
      expect(owner(event(type, {}))).toBeNull();
    }
  });
});

describe('migration 005', () => {
  it("gives old rows owners: a paid task its account, a free one the admin, and events their task's", async () => {
    const dir = tempDir('migrate-owners');
    const db = new Database(join(dir.path, 'corten.db'));
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER)');
    for (const m of loadMigrations().filter((m) => m.version < 5)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    db.exec(`
      INSERT INTO eus VALUES ('eu_1', 'e', '1.0.0', '{}', '{}', 1);
      INSERT INTO tasks (id, eu_id, status, input, input_hash, seed, clock, quorum, max_replicas, replicas, attempts,
          submitted_at, updated_at)
        VALUES ('t_paid', 'eu_1', 'pending', '{}', 'h', 's', 1, 1, 1, 1, 0, 1, 1),
          ('t_free', 'eu_1', 'pending', '{}', 'h', 's', 1, 1, 1, 1, 0, 2, 2);
      INSERT INTO task_accounts VALUES ('t_paid', 'acct_a', 5, 'le_1');
      INSERT INTO events (type, ts, task_id, operator_id, data) VALUES
        ('task.submitted', 1, 't_paid', NULL, '{}'), ('task.submitted', 1, 't_free', NULL, '{}'),
        ('ledger.deposited', 1, NULL, NULL, '{"account":"dev:acct_a"}'), ('ledger.withdrawn', 1, NULL, 'op_1', '{}'),
        ('operator.online', 1, NULL, 'op_1', '{}');
    `);
    db.close();
    const store = new SqliteStore({ dir: dir.path });
    await store.migrate();
    expect((await store.getTask('t_paid'))?.owner).toBe('acct_a');
    expect((await store.getTask('t_free'))?.owner).toBe('network');
    expect((await store.getEu('eu_1'))?.owner).toBe('network');
    const owners = (await store.listEvents({ after: 0, limit: 10 })).map((e) => e.owner);
    expect(owners).toEqual(['acct_a', 'network', 'acct_a', 'network', null]);
    await store.close();
    dir.cleanup(false);
  });
});
