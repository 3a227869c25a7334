/**
 * Entry point of a sandbox worker thread. It pins local time to UTC, loads
 * QuickJS and the host capabilities, announces `ready` with what passed its
 * probe, then runs executions as the pool sends them. EU packages are kept
 * (a bounded number, least recently used evicted) so the pool sends each
 * package to a worker once.
 *
 * Runs arrive in batches and are started in order, one after another;
 * results collect in an outbox that is sent as one message when the batch is
 * done, or at the next turn of the event loop for executions that finished
 * later (after a host call). Batching must not hold a finished result behind
 * a long execution, so the outbox is also sent before starting an execution
 * of an EU not known to be quick, and before any execution once its oldest
 * result has waited FLUSH_AFTER_MS.
 *
 * The QuickJS heap of the worker (one WebAssembly memory shared by all its
 * sandbox contexts) is given a fixed maximum. QuickJS's per-runtime memory
 * limit is weaker than its name in this build (quickjs-emscripten 0.32, see
 * also upstream issue justjake/quickjs-emscripten #271): without
 * `malloc_usable_size` under Emscripten, QuickJS counts 8 bytes an allocation
 * whatever its size, so the limit caps the number of allocations (limit / 8)
 * and the size of any one of them, not the bytes in use — a runtime limited
 * to 16 MB holds hundreds of 1 MB buffers. Without a ceiling, one EU could
 * grow the worker to 2 GB. At the ceiling, allocation fails inside QuickJS
 * and the EU gets its out-of-memory error like any other.
 *
 * An exception from the WebAssembly itself (an abort) leaves QuickJS unusable:
 * the worker reports the execution as crashed and exits, and the pool starts
 * a fresh one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import variantModule from '@jitl/quickjs-wasmfile-release-sync';
import { HostServices } from '../capabilities/host-services.js';
import {
  addMissing,
  addOutcome,
  forEachRun,
  type FromWorker,
  type ResultBatch,
  type RunRequest,
  type ToWorker,
  type WorkerConfig,
  type WorkerOutcome,
} from './messages.js';
import { PackageCache } from './package-cache.js';
import { TaskRunner } from './task-runner.js';
import { pinLocalTimeToUtc } from './utc-clock.js';

/** EU packages a worker keeps; beyond this the pool resends on demand. */
const PACKAGES_KEPT = 64;
/** WebAssembly page size. */
const PAGE = 64 * 1024;
/** The QuickJS build's initial heap (its INITIAL_MEMORY). */
const INITIAL_HEAP = 16 * 1024 * 1024;
/** Heap beyond the running EU's own limit, for the worker's idle warm contexts. */
const HEAP_HEADROOM_MB = 64;
/** An EU whose executions lately kept the worker busy less than this (ms, on average) is quick: results may wait for
 * its next execution. */
const QUICK_MS = 2;
/** Longest a finished result waits in the outbox while the batch goes on. */
const FLUSH_AFTER_MS = 2;

// The project compiles without the DOM library, where WebAssembly's types live.
const WasmMemory = (
  globalThis as unknown as { WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => object } }
).WebAssembly.Memory;

const port = parentPort;
if (port === null) throw new Error('worker-main runs only as a worker thread');

function post(message: FromWorker): void {
  port!.postMessage(message);
}

async function main(): Promise<void> {
  const config = workerData as WorkerConfig;
  pinLocalTimeToUtc();
  // The package's types describe its CommonJS face; under ESM the default export is the variant itself.
  const variant = ((variantModule as unknown as { default?: QuickJSSyncVariant }).default ??
    variantModule) as QuickJSSyncVariant;
  const heapMb = 2 * config.memoryCapMb + HEAP_HEADROOM_MB;
  const wasmMemory = new WasmMemory({
    initial: INITIAL_HEAP / PAGE,
    maximum: Math.ceil((heapMb * 1024 * 1024) / PAGE),
  });
  const quickjs = await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmMemory: wasmMemory as never }));
  const { services, problems } = HostServices.start(config.capabilities, config.llmProbed);
  const runner = new TaskRunner(quickjs, services, config);
  const packages = new PackageCache(PACKAGES_KEPT);
  let outbox: ResultBatch = [];
  let oldestWaiting = 0;
  let flushQueued = false;

  const flush = (): void => {
    if (outbox.length === 0) return;
    const results = outbox;
    outbox = [];
    post({ t: 'done', results });
  };
  const deliver = (id: number, outcome: WorkerOutcome | 'missing'): void => {
    if (outbox.length === 0) oldestWaiting = performance.now();
    if (outcome === 'missing') addMissing(outbox, id);
    else addOutcome(outbox, id, outcome);
  };
  /** For results that arrive between batches (executions that waited on host calls). */
  const deliverLater = (id: number, outcome: WorkerOutcome): void => {
    deliver(id, outcome);
    if (flushQueued) return;
    flushQueued = true;
    setImmediate(() => {
      flushQueued = false;
      flush();
    });
  };
  const crash = (id: number, error: unknown): never => {
    deliver(id, {
      ok: false,
      error: {
        code: 'EU_CRASHED',
        message: `the sandbox failed internally (${(error as Error).message}); its worker is being replaced`,
      },
      metrics: { durationMs: 0 },
    });
    flush();
    process.exit(1);
  };

  const start = (request: RunRequest): void => {
    const held = request.eu !== undefined ? packages.put(request.eu) : packages.get(request.euId);
    if (held === undefined) {
      deliver(request.id, 'missing');
      return;
    }
    if (
      outbox.length > 0 &&
      (held.busyMs === undefined || held.busyMs >= QUICK_MS || performance.now() - oldestWaiting >= FLUSH_AFTER_MS)
    )
      flush();
    const began = performance.now();
    let outcome: WorkerOutcome | Promise<WorkerOutcome>;
    try {
      outcome = runner.run(held, request);
    } catch (error) {
      return crash(request.id, error);
    }
    held.noteBusy(performance.now() - began);
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => deliverLater(request.id, settled),
        (error: unknown) => crash(request.id, error),
      );
    } else {
      deliver(request.id, outcome);
    }
  };

  port!.on('message', (message: ToWorker) => {
    forEachRun(message.runs, start);
    flush();
  });
  post({ t: 'ready', capabilities: [...services.capabilities], problems });
}

main().catch((error: unknown) => {
  post({ t: 'fatal', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
