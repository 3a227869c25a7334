/**
 * The data folder's lock: one coordinator a folder. A second one on the same
 * folder would write into the live store behind the first one's memory.
 *
 * The lock is an OS-level file lock, so it dies with its process, kill -9
 * included, and a restart never finds a stale lock in its way. Node has no
 * flock, but SQLite takes POSIX advisory locks: a connection to `lock.db`
 * in exclusive locking mode that begins an exclusive transaction holds the
 * file's write lock until the connection closes or the process ends, and a
 * second process's attempt fails at once with SQLITE_BUSY.
 *
 * Who holds the lock is written beside it in `coordinator.json` (pid, start
 * time, and once listening, URL and coordinator id), so the refusal can name
 * the running coordinator. That file is only ever read by a process that
 * failed to take the lock; a stale one, left by a killed holder, is simply
 * overwritten by the next holder.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CortenError, coerceError } from '../protocol/index.js';

/** What the holder says about itself in `coordinator.json`. */
export interface LockHolder {
  pid: number;
  /** ms since epoch. */
  startedAt: number;
  url?: string;
  coordinatorId?: string;
}

const LOCK_FILE = 'lock.db';
const HOLDER_FILE = 'coordinator.json';

export class DataDirLock {
  private db: Database.Database | null;
  private holder: LockHolder;

  private constructor(
    readonly dir: string,
    db: Database.Database,
    holder: LockHolder,
  ) {
    this.db = db;
    this.holder = holder;
  }

  /** Takes the folder's lock or throws DATA_DIR_LOCKED naming the coordinator that holds it. */
  static acquire(dir: string): DataDirLock {
    mkdirSync(dir, { recursive: true });
    const db = new Database(join(dir, LOCK_FILE));
    try {
      // No waiting: a held lock means a live coordinator, and waiting would hide it.
      db.pragma('busy_timeout = 0');
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (thrown) {
      db.close();
      const error = coerceError(thrown);
      if ((thrown as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      throw lockedError(dir, readHolder(dir));
    }
    const lock = new DataDirLock(dir, db, { pid: process.pid, startedAt: Date.now() });
    lock.write();
    return lock;
  }

  /** Adds what the holder learned once it was listening (its URL and id) to what it says about itself. */
  describe(details: Pick<LockHolder, 'url' | 'coordinatorId'>): void {
    this.holder = { ...this.holder, ...details };
    this.write();
  }

  release(): void {
    if (!this.db) return;
    this.db.close();
    this.db = null;
  }

  private write(): void {
    writeFileSync(join(this.dir, HOLDER_FILE), `${JSON.stringify(this.holder)}\n`);
  }
}

function readHolder(dir: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')) as LockHolder;
  } catch {
    // The holder may not have written it yet; the refusal then says less.
    return undefined;
  }
}

function lockedError(dir: string, holder: LockHolder | undefined): CortenError {
  const who = holder
    ? [
        holder.coordinatorId ?? 'a coordinator',
        `pid ${holder.pid}`,
        ...(holder.url ? [holder.url] : []),
        `started ${new Date(holder.startedAt).toISOString()}`,
      ].join(', ')
    : 'another coordinator';
  const message = `data folder ${dir} is in use by ${who}; stop it first or use another --data folder`;
  return new CortenError('DATA_DIR_LOCKED', message, { details: { dir, holder: holder ?? null } });
}
