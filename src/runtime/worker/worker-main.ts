/**
 * Entry point of a sandbox worker thread. It pins local time to UTC, loads
 * QuickJS and the host capabilities, announces `ready` with what passed its
 * probe, then runs executions as the pool sends them. EU packages are kept
 * (a bounded number, least recently used evicted) so the pool sends each
 * package to a worker once.
 *
 * The QuickJS heap of the worker (one WebAssembly memory shared by all its
 * sandbox contexts) is given a fixed maximum. QuickJS's per-runtime memory
 * limit bounds its object heap but not the storage of large strings and typed
 * arrays (quickjs-emscripten 0.32, upstream issue justjake/quickjs-emscripten
 * #271); without a ceiling, one EU could grow the worker to 2 GB. At the
 * ceiling, allocation fails inside QuickJS and the EU gets its out-of-memory
 * error like any other.
 *
 * An exception from the WebAssembly itself (an abort) leaves QuickJS unusable:
 * the worker reports the execution as crashed and exits, and the pool starts
 * a fresh one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import variantModule from '@jitl/quickjs-wasmfile-release-sync';
import type { EuPackage } from '../../protocol/index.js';
import { HostServices } from '../capabilities/host-services.js';
import type { FromWorker, RunMessage, WorkerConfig } from './messages.js';
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

// The project compiles without the DOM library, where WebAssembly's types live.
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => object } }).WebAssembly.Memory;

const port = parentPort;
if (port === null) throw new Error('worker-main runs only as a worker thread');

function post(message: FromWorker): void {
  port!.postMessage(message);
}

async function main(): Promise<void> {
  const config = workerData as WorkerConfig;
  pinLocalTimeToUtc();
  // The package's types describe its CommonJS face; under ESM the default export is the variant itself.
  const variant = ((variantModule as unknown as { default?: QuickJSSyncVariant }).default ?? variantModule) as QuickJSSyncVariant;
  const heapMb = 2 * config.memoryCapMb + HEAP_HEADROOM_MB;
  const wasmMemory = new WasmMemory({ initial: INITIAL_HEAP / PAGE, maximum: Math.ceil((heapMb * 1024 * 1024) / PAGE) });
  const quickjs = await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmMemory: wasmMemory as never }));
  const { services, problems } = HostServices.start(config.capabilities, config.llmProbed);
  const runner = new TaskRunner(quickjs, services, config);
  const packages = new Map<string, EuPackage>();

  const run = async (message: RunMessage): Promise<void> => {
    let pkg = message.eu ?? packages.get(message.euId);
    if (pkg === undefined) {
      post({ t: 'missing', id: message.id });
      return;
    }
    packages.delete(pkg.id);
    packages.set(pkg.id, pkg);
    if (packages.size > PACKAGES_KEPT) packages.delete(packages.keys().next().value as string);
    try {
      post({ t: 'done', id: message.id, outcome: await runner.run(pkg, message) });
    } catch (error) {
      post({
        t: 'done',
        id: message.id,
        outcome: {
          ok: false,
          error: { code: 'EU_CRASHED', message: `the sandbox failed internally (${(error as Error).message}); its worker is being replaced` },
          metrics: { durationMs: 0 },
        },
      });
      process.exit(1);
    }
  };

  port!.on('message', (message: RunMessage) => {
    void run(message);
  });
  post({ t: 'ready', capabilities: [...services.capabilities], problems });
}

main().catch((error: unknown) => {
  post({ t: 'fatal', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
