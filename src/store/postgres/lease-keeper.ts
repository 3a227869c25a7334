/**
 * Lease renewals on a thread of their own. A leader's event loop can be
 * busy for seconds (a turn placing thousands of tasks on a loaded machine);
 * a renewal timer on that loop fires late and the leader loses its lease
 * for no fault, and each takeover's recovery makes the next stall longer.
 * This worker thread renews every `renewMs` whatever the main thread does,
 * and tells it through shared memory:
 *
 *   slot 0  valid until (ms, absolute): the send time of the last renewal that succeeded, plus the lease
 *   slot 1  main alive (ms, absolute): stamped by the main thread (`stamp`) whenever its loop runs
 *   slot 2  lost: 1 once a renewal was refused (another coordinator holds the lease now)
 *   slot 3  connected: 1 while the worker's session is up
 *
 * Its connection is this coordinator's sign of life (`applicationName`): a
 * process killed outright drops it at once, and a follower takes over then
 * (LeaderLease.claim). A paused process (SIGSTOP) pauses this thread too and
 * keeps its connection, so its lease runs out as before. A main thread that ran nothing for `MAX_STALL_MS` is hung, not
 * busy: the worker then stops renewing and lets the lease lapse.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Longer than any turn or recovery seen on a loaded 2-core machine (a few
 * seconds); a leader stalled beyond it hands over rather than hold the
 * network up.
 */
const MAX_STALL_MS = 20_000;

const VALID_UNTIL = 0;
const MAIN_ALIVE = 1;
const LOST = 2;
const CONNECTED = 3;

/** The worker's code: inline, so it runs from source and from dist alike. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const pg = require(workerData.driver);
const w = workerData;
const shared = new Float64Array(w.state);
const now = () => performance.timeOrigin + performance.now();
let client = null;
let kept = null;
let timer = null;
let closed = false;
async function connect() {
  const c = new pg.Client({
    connectionString: w.url, options: w.sessionOptions, application_name: w.applicationName,
    connectionTimeoutMillis: w.leaseMs,
  });
  const lost = () => {
    if (client !== c) return;
    client = null;
    shared[${CONNECTED}] = 0;
  };
  c.on('error', lost);
  c.on('end', lost);
  await c.connect();
  client = c;
  shared[${CONNECTED}] = 1;
  parentPort.postMessage({ connected: true });
}
async function beat() {
  timer = null;
  const k = kept;
  try {
    if (!client) await connect();
    if (k && now() - shared[${MAIN_ALIVE}] <= w.maxStallMs) {
      const sent = now();
      const result = await client.query(w.sql, [w.shard, k.holder, k.epoch, w.leaseMs]);
      if (kept === k) {
        if (result.rows.length === 1) shared[${VALID_UNTIL}] = Math.max(shared[${VALID_UNTIL}], sent + w.leaseMs);
        else shared[${LOST}] = 1;
      }
    }
  } catch (error) {
    parentPort.postMessage({ warn: String((error && error.message) || error) });
  }
  if (!closed && !timer) timer = setTimeout(beat, w.renewMs);
}
parentPort.on('message', (m) => {
  if (timer) clearTimeout(timer);
  timer = null;
  kept = m.type === 'keep' ? { holder: m.holder, epoch: m.epoch } : null;
  // A lease just claimed is renewed at once: the claim may have taken a while to come back.
  if (m.type === 'keep') void beat();
  else if (m.type !== 'close') timer = setTimeout(beat, w.renewMs);
  else {
    closed = true;
    void Promise.resolve(client && client.end()).catch(() => undefined).finally(() => parentPort.close());
  }
});
void beat();
`;

export interface LeaseKeeperOptions {
  url: string;
  /** The connection's session settings (search_path, statement timeout). */
  sessionOptions: string;
  shard: string;
  leaseMs: number;
  renewMs: number;
  /** The renewal: $1 shard, $2 holder, $3 epoch, $4 lease ms; a row back while the lease is still held. */
  sql: string;
  /**
   * The session's name, connected from the start and kept while this
   * process lives: followers see it in pg_stat_activity, and once it is gone
   * (the process died) take over without waiting for the lease to run out.
   */
  applicationName: string;
}

export class LeaseKeeper {
  private readonly shared = new Float64Array(new SharedArrayBuffer(4 * Float64Array.BYTES_PER_ELEMENT));
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** Resolves once the keeper's session first connected. */
  readonly ready: Promise<void>;

  constructor(
    private readonly opts: LeaseKeeperOptions,
    onWarn: (message: string) => void,
  ) {
    const driver = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ...opts, driver, maxStallMs: MAX_STALL_MS, state: this.shared.buffer },
    });
    let connected: () => void = () => undefined;
    this.ready = new Promise((resolve) => (connected = resolve));
    this.worker.on('message', (message: { warn?: string; connected?: boolean }) => {
      if (message.warn !== undefined) onWarn(message.warn);
      if (message.connected) connected();
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Renews the lease of `holder` at `epoch`, claimed when performance.now() was `sentAt`. */
  keep(holder: string, epoch: number, sentAt: number): void {
    this.shared[VALID_UNTIL] = performance.timeOrigin + sentAt + this.opts.leaseMs;
    this.shared[LOST] = 0;
    this.stamp();
    this.worker.postMessage({ type: 'keep', holder, epoch });
  }

  /** Stops renewing (this coordinator stepped down). */
  drop(): void {
    this.worker.postMessage({ type: 'drop' });
  }

  /** The main thread's loop is running. */
  stamp(): void {
    this.shared[MAIN_ALIVE] = performance.timeOrigin + performance.now();
  }

  /** performance.now() until which the lease is held, as far as the renewals that succeeded say. */
  get validUntil(): number {
    return this.shared[VALID_UNTIL]! - performance.timeOrigin;
  }

  /** The keeper's session, when it is connected: what a claim names as the holder's sign of life. */
  get session(): string | null {
    return this.shared[CONNECTED] === 1 ? this.opts.applicationName : null;
  }

  /** A renewal was refused: another coordinator holds the lease. */
  get lost(): boolean {
    return this.shared[LOST] === 1;
  }

  async close(): Promise<void> {
    this.worker.ref();
    this.worker.postMessage({ type: 'close' });
    await this.exited;
  }
}
