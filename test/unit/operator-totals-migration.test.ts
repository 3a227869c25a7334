/** Migration 009 on a network older than it: each operator's totals as its events state them. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/index.js';
import { loadMigrations } from '../../src/store/migrations.js';
import { tempDir } from '../helpers/temp.js';

describe('migration 009', () => {
  it("fills each operator's totals earned and slashed from the events written before it", async () => {
    const dir = tempDir('migrate-totals');
    const db = new Database(join(dir.path, 'corten.db'));
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER)');
    for (const m of loadMigrations().filter((m) => m.version < 9)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    db.exec(`
      INSERT INTO events (type, ts, task_id, operator_id, data) VALUES
        ('ledger.rewarded', 1, 't1', 'op_a', '{"amount":2}'), ('ledger.rewarded', 2, 't2', 'op_a', '{"amount":3}'),
        ('ledger.slashed', 3, 't2', 'op_b', '{"amount":5}'), ('ledger.slashed', 4, NULL, 'op_b', '{"amount":1}'),
        ('ledger.withdrawn', 5, NULL, 'op_a', '{"amount":5}'), ('operator.online', 6, NULL, 'op_c', '{}');
    `);
    db.close();
    const store = new SqliteStore({ dir: dir.path });
    await store.migrate();
    const totals = (await store.trust.loadOperatorTotals()).sort((x, y) => x.operatorId.localeCompare(y.operatorId));
    expect(totals).toEqual([
      { operatorId: 'op_a', earned: 5, slashed: 0, slashes: 0, updatedAt: 2 },
      { operatorId: 'op_b', earned: 0, slashed: 6, slashes: 2, updatedAt: 4 },
    ]);
    await store.close();
    dir.cleanup(false);
  });
});
