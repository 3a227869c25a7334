/**
 * WAL checkpoints off the coordinator's thread. SQLite's automatic
 * checkpoint runs inside whichever commit crosses the threshold, copying
 * pages from the WAL into the database on the writer's own thread; under a
 * steady stream of commits that is about a quarter of the store's cost. The
 * writer's connection turns automatic checkpoints off and this worker thread,
 * with a connection of its own, runs a PASSIVE checkpoint every interval:
 * PASSIVE never blocks the writer, and the writer restarts the WAL from the
 * beginning once a checkpoint has caught up, so the file stays bounded.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker's code: small enough to run inline, so it works from source and from dist alike. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
const run = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next time */ } };
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  run();
  db.close();
  parentPort.close();
});
`;

export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(path: string, intervalMs = 1000) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Runs a last checkpoint and stops the thread. */
  async stop(): Promise<void> {
    // Held until it exits: unreferenced, the process could end mid-checkpoint.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
