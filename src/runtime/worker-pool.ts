/**
 * The pool of sandbox worker threads, on the operator's main thread.
 *
 * Executions queue in arrival order and go to the ready worker holding the
 * fewest, up to `maxInFlight` each (a few per worker keep it busy while its
 * results travel back, and let tasks waiting on an LLM share it). An EU
 * whose executions lately took less than QUICK_MS on average is quick: a
 * worker may hold QUICK_DEPTH times as many of its executions, since a
 * result's trip back and the next run's trip out take longer than running
 * several of them, and a queue of quick ones delays nothing for long. Each
 * worker is sent an EU package once; a worker that has evicted one answers
 * `missing` and gets it again.
 *
 * What a worker is given during one turn of the event loop goes to it as one
 * message, at the end of the turn (`setImmediate`), and it answers with
 * batches too (see worker/messages.ts): for small executions the messages,
 * not the sandbox, would otherwise cost the most. Executions still waiting in
 * a worker's outbox when it dies never reached it; they go back to the front
 * of the queue.
 *
 * A worker's life: starting → ready → (exited | terminated). When a worker
 * dies, its executions fail with EU_CRASHED and a new worker takes its slot;
 * a slot whose replacements die before becoming ready three times running is
 * given up, and when no slot is left queued executions fail too. A watchdog
 * sweep terminates a worker that has held executions without a word for
 * longer than their budget plus a grace period — only a host call that never
 * returns control could do that, since QuickJS itself is interrupted on time.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CortenError } from '../protocol/index.js';
import type { CapabilityProblem } from './capabilities/capability-config.js';
import type { ExecutionOutcome, ExecutionRequest } from './execution-types.js';
import {
  addRun,
  forEachResult,
  type FromWorker,
  type RunBatch,
  type RunRequest,
  type ToWorker,
  type WorkerConfig,
} from './worker/messages.js';

/** Silence beyond an execution's budget after which its worker is presumed stuck. */
const WATCHDOG_GRACE_MS = 5_000;
const WATCHDOG_SWEEP_MS = 1_000;
/** Replacements of one slot that may die before becoming ready, in a row, before the slot is given up. */
const MAX_START_FAILURES = 3;
/** An EU whose executions lately took less than this (ms in the worker, on average) is quick. */
const QUICK_MS = 2;
/** Weight of the newest execution in an EU's moving average of durations: one slowed by a busy machine does not change
 * it much. */
const DURATION_WEIGHT = 0.25;
/** How many times `maxInFlight` executions of quick EUs a worker may hold. */
const QUICK_DEPTH = 4;
/** EUs whose durations are remembered; beyond this the memory starts afresh (a forgotten EU is merely not quick until
 * it runs again). */
const DURATIONS_KEPT = 4096;

interface Pending {
  id: number;
  req: ExecutionRequest;
  budgetMs: number;
  resolve: (outcome: ExecutionOutcome) => void;
  reject: (error: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  retired: boolean;
  /** Set once the worker has exited: nothing more is sent to it. */
  exited: boolean;
  /** Executions given to this worker (sent, or waiting in `outbox`), by id. */
  inFlight: Map<number, Pending>;
  /** Runs to send at the end of this turn, with the executions they belong to. */
  outbox: { request: RunRequest; pending: Pending }[];
  sent: Set<string>;
  lastHeard: number;
  startFailures: number;
  exitReason: string | undefined;
}

export interface WorkerReady {
  capabilities: string[];
  problems: CapabilityProblem[];
}

/** The compiled worker entry, also when this module runs from TypeScript sources (tests). */
export function workerScriptUrl(): URL {
  const here = new URL('./worker/worker-main.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  const path = fileURLToPath(here);
  const marker = '/src/runtime/';
  const at = path.lastIndexOf(marker);
  const compiled = `${path.slice(0, at)}/dist${path.slice(at)}`;
  if (!existsSync(compiled)) {
    throw new CortenError('INTERNAL', `the sandbox worker ${compiled} is not built: run \`npm run build\` (tsc) first`);
  }
  return pathToFileURL(compiled);
}

function crashed(message: string): ExecutionOutcome {
  return { ok: false, error: { code: 'EU_CRASHED', message }, metrics: { durationMs: 0 } };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: (Pending | undefined)[] = [];
  private queueHead = 0;
  private nextId = 1;
  private closed = false;
  private sweep: NodeJS.Timeout | undefined;
  private readonly script = workerScriptUrl();
  private starting:
    { resolve: (ready: WorkerReady[]) => void; reject: (error: Error) => void; ready: WorkerReady[] } | undefined;
  private flushQueued = false;
  /** Moving average of each EU's execution durations, in ms, by EU id. */
  private readonly durations = new Map<string, number>();

  constructor(
    private readonly config: WorkerConfig,
    private readonly size: number,
    private readonly maxInFlight: number,
  ) {}

  /** Starts every worker; resolves with what each found working, or rejects when one fails to start. */
  start(): Promise<WorkerReady[]> {
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject, ready: [] };
      for (let i = 0; i < this.size; i++) this.slots.push(this.spawn(i, 0));
      this.sweep = setInterval(() => this.watch(), WATCHDOG_SWEEP_MS);
      this.sweep.unref();
    });
  }

  /** Live worker threads (a slot given up has none). */
  get workerCount(): number {
    return this.slots.filter((s) => !s.retired).length;
  }

  /** Runs an execution on some worker; resolves with its outcome. */
  run(req: ExecutionRequest, budgetMs: number): Promise<ExecutionOutcome> {
    if (this.closed) return Promise.reject(new CortenError('SHUTTING_DOWN', 'the runtime is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, req, budgetMs, resolve, reject });
      this.pump();
    });
  }

  /**
   * Terminates the worker in slot `index` as if it had crashed (its
   * executions fail with EU_CRASHED and it is replaced). For tests and for
   * operators shedding a stuck worker.
   */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.slots[index];
    if (slot === undefined || slot.retired) return;
    slot.exitReason = 'it was terminated';
    await slot.worker.terminate();
  }

  /** Stops every worker; executions queued or running reject with SHUTTING_DOWN. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweep !== undefined) clearInterval(this.sweep);
    const shutting = new CortenError('SHUTTING_DOWN', 'the runtime closed before the execution finished');
    for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i]?.reject(shutting);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const slot of this.slots) {
      for (const pending of slot.inFlight.values()) pending.reject(shutting);
      slot.inFlight.clear();
      slot.outbox = [];
    }
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(index: number, startFailures: number): Slot {
    const worker = new Worker(this.script, { workerData: this.config });
    const slot: Slot = {
      index,
      worker,
      ready: false,
      retired: false,
      exited: false,
      inFlight: new Map(),
      outbox: [],
      sent: new Set(),
      lastHeard: performance.now(),
      startFailures,
      exitReason: undefined,
    };
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (error) => {
      slot.exitReason ??= `it threw ${error.message}`;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    slot.lastHeard = performance.now();
    switch (message.t) {
      case 'ready': {
        slot.ready = true;
        slot.startFailures = 0;
        if (this.starting !== undefined) {
          this.starting.ready.push({ capabilities: message.capabilities, problems: message.problems });
          if (this.starting.ready.length === this.size) {
            this.starting.resolve(this.starting.ready);
            this.starting = undefined;
          }
        }
        this.pump();
        return;
      }
      case 'done': {
        forEachResult(message.results, (id, result) => this.settle(slot, id, result));
        this.pump();
        return;
      }
      case 'fatal':
        slot.exitReason = `it failed to start: ${message.message}`;
        return;
    }
  }

  private settle(slot: Slot, id: number, result: ExecutionOutcome | 'missing'): void {
    const pending = slot.inFlight.get(id);
    if (pending === undefined) return;
    slot.inFlight.delete(id);
    const euId = pending.req.eu.id;
    if (result === 'missing') {
      slot.sent.delete(euId);
      this.send(slot, pending);
      return;
    }
    const ms = result.metrics.durationMs;
    const average = this.durations.get(euId);
    if (average === undefined && this.durations.size >= DURATIONS_KEPT) this.durations.clear();
    this.durations.set(euId, average === undefined ? ms : (1 - DURATION_WEIGHT) * average + DURATION_WEIGHT * ms);
    pending.resolve(result);
  }

  private onExit(slot: Slot, code: number): void {
    slot.exited = true;
    if (this.closed) return;
    const reason = slot.exitReason ?? `it exited with code ${code}`;
    // Runs not yet sent never reached the worker: they run elsewhere.
    const unsent = slot.outbox.map((entry) => entry.pending);
    slot.outbox = [];
    for (const pending of unsent) slot.inFlight.delete(pending.id);
    for (const pending of slot.inFlight.values()) {
      pending.resolve(crashed(`the sandbox worker running this execution died (${reason}); it has been replaced`));
    }
    slot.inFlight.clear();
    if (unsent.length > 0) this.requeue(unsent);
    if (this.starting !== undefined && !slot.ready) {
      const starting = this.starting;
      this.starting = undefined;
      void this.close().finally(() =>
        starting.reject(new CortenError('INTERNAL', `a sandbox worker could not start: ${reason}`)),
      );
      return;
    }
    const failures = slot.ready ? 0 : slot.startFailures + 1;
    if (failures >= MAX_START_FAILURES) {
      slot.retired = true;
      if (this.slots.every((s) => s.retired)) this.failQueue(`no sandbox worker can start (${reason})`);
      return;
    }
    this.slots[slot.index] = this.spawn(slot.index, failures);
  }

  /** Puts executions back at the front of the queue, in their order. */
  private requeue(pendings: Pending[]): void {
    this.queue.splice(this.queueHead, 0, ...pendings);
    this.pump();
  }

  private failQueue(message: string): void {
    for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i]?.resolve(crashed(message));
    this.queue.length = 0;
    this.queueHead = 0;
  }

  private pump(): void {
    while (this.queueHead < this.queue.length) {
      const pending = this.queue[this.queueHead]!;
      const limit =
        (this.durations.get(pending.req.eu.id) ?? QUICK_MS) < QUICK_MS
          ? this.maxInFlight * QUICK_DEPTH
          : this.maxInFlight;
      let best: Slot | undefined;
      for (const slot of this.slots) {
        if (!slot.ready || slot.retired || slot.exited || slot.inFlight.size >= limit) continue;
        if (best === undefined || slot.inFlight.size < best.inFlight.size) best = slot;
      }
      if (best === undefined) break;
      this.queue[this.queueHead++] = undefined;
      this.send(best, pending);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    if (this.slots.length > 0 && this.slots.every((s) => s.retired)) this.failQueue('no sandbox worker is running');
  }

  /** Gives an execution to a worker: its run goes out with the others of this turn. */
  private send(slot: Slot, pending: Pending): void {
    const { eu, input, seed, clock } = pending.req;
    const request: RunRequest = { id: pending.id, euId: eu.id, input, seed, clock };
    if (!slot.sent.has(eu.id)) {
      request.eu = { id: eu.id, manifest: eu.manifest, files: eu.files };
      slot.sent.add(eu.id);
    }
    if (slot.inFlight.size === 0) slot.lastHeard = performance.now();
    slot.inFlight.set(pending.id, pending);
    slot.outbox.push({ request, pending });
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends every worker its outbox as one message. */
  private flush(): void {
    this.flushQueued = false;
    for (const slot of this.slots) {
      if (slot.outbox.length === 0 || slot.exited) continue;
      const entries = slot.outbox;
      slot.outbox = [];
      const runs: RunBatch = [];
      for (const entry of entries) addRun(runs, entry.request);
      const message: ToWorker = { t: 'run', runs };
      try {
        slot.worker.postMessage(message);
      } catch {
        // Some input cannot be cloned: send the runs one by one to fail only its own.
        for (const entry of entries) this.sendAlone(slot, entry.request, entry.pending);
      }
    }
  }

  private sendAlone(slot: Slot, request: RunRequest, pending: Pending): void {
    const runs: RunBatch = [];
    addRun(runs, request);
    try {
      slot.worker.postMessage({ t: 'run', runs } satisfies ToWorker);
    } catch (error) {
      slot.inFlight.delete(pending.id);
      // A later run of the EU that went without its package gets it back through `missing`.
      if (request.eu !== undefined) slot.sent.delete(request.euId);
      pending.resolve({
        ok: false,
        error: {
          code: 'EU_INPUT_INVALID',
          message: `the input cannot be sent to the sandbox: ${(error as Error).message}`,
        },
        metrics: { durationMs: 0 },
      });
    }
  }

  private watch(): void {
    const now = performance.now();
    for (const slot of this.slots) {
      if (slot.retired || slot.inFlight.size === 0) continue;
      let budget = 0;
      for (const pending of slot.inFlight.values()) budget = Math.max(budget, pending.budgetMs);
      if (now - slot.lastHeard > budget + WATCHDOG_GRACE_MS) {
        slot.exitReason = `it stopped responding for more than ${Math.round(budget + WATCHDOG_GRACE_MS)} ms`;
        void slot.worker.terminate();
      }
    }
  }
}
