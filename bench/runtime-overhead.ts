/**
 * The sandbox's per-execution overhead: the trivial `double` EU run many
 * times on a runtime of 1 and of 2 workers, the way the coordinator
 * benchmark drives an operator (a fresh 128-bit seed and a different input
 * every execution, a steady number in flight). Prints executions per second
 * and the process's CPU time per execution — main thread and sandbox workers
 * together, since both are paid for — and the main thread's share of it;
 * also the round trip of one execution at a time, so that batching is seen
 * not to cost latency.
 *
 * Figures only; nothing passes or fails. `node dist/bench/runtime-overhead.js`
 * runs it alone.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/eus/index.js';
import type { EuPackage } from '../src/protocol/index.js';
import { createRuntime, loadEuFolder, type SandboxRuntime } from '../src/runtime/index.js';
import { ownCpuSeconds } from './support.js';

/** Executions in each timed run, per worker: a few seconds, enough to average out GC and context recycling. */
const EXECUTIONS_PER_WORKER = 40_000;
const WARM_UP = 4_000;
/** Executions in flight per worker, as in the coordinator benchmark's operators. */
const IN_FLIGHT_PER_WORKER = 16;
const ROUND_TRIPS = 2_000;
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** CPU seconds the main thread has used, or NaN where /proc is absent. */
function mainThreadCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

interface Measured {
  perSecond: number;
  cpuUs: number;
  mainUs: number;
}

/** Runs `count` executions, `inFlight` at a time, each with its own seed and input; measures wall and CPU time. */
async function drive(runtime: SandboxRuntime, eu: EuPackage, count: number, inFlight: number): Promise<Measured> {
  const seeds = Array.from({ length: count }, () => randomBytes(16).toString('hex'));
  let next = 0;
  const startedCpu = ownCpuSeconds();
  const startedMain = mainThreadCpuSeconds();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const x = next;
        const seed = seeds[next++]!;
        const outcome = await runtime.execute({ eu, input: { x }, seed, clock: 1_700_000_000_000 });
        if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
        if ((outcome.output as { y: number }).y !== 2 * x)
          throw new Error(`execution ${x} returned ${JSON.stringify(outcome.output)}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    perSecond: count / seconds,
    cpuUs: ((ownCpuSeconds() - startedCpu) * 1e6) / count,
    mainUs: ((mainThreadCpuSeconds() - startedMain) * 1e6) / count,
  };
}

/** Mean wall-clock time of one execution with nothing else in flight, in µs. */
async function roundTripUs(runtime: SandboxRuntime, eu: EuPackage): Promise<number> {
  const started = performance.now();
  for (let x = 0; x < ROUND_TRIPS; x++) {
    const outcome = await runtime.execute({ eu, input: { x }, seed: `rt-${x}`, clock: 0 });
    if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  }
  return ((performance.now() - started) * 1000) / ROUND_TRIPS;
}

/** Prints executions/s and CPU µs per execution of the trivial EU at 1 and 2 workers. */
export async function runtimeOverheadBench(): Promise<void> {
  print('\n== runtime: per-execution overhead of the trivial EU (double) ==');
  const eu = await loadEuFolder(join(packageRoot(), 'src', 'eus', 'double'));
  for (const workers of [1, 2]) {
    const runtime = await createRuntime({ workers, capabilities: { nlp: false, embed: false } });
    try {
      const inFlight = IN_FLIGHT_PER_WORKER * workers;
      await drive(runtime, eu, WARM_UP * workers, inFlight);
      const m = await drive(runtime, eu, EXECUTIONS_PER_WORKER * workers, inFlight);
      const rt = await roundTripUs(runtime, eu);
      print(
        `  ${workers} worker${workers > 1 ? 's' : ' '}, ${inFlight} in flight: ${m.perSecond.toFixed(0).padStart(6)} executions/s, ` +
          `${m.cpuUs.toFixed(1)} µs CPU per execution (main thread ${m.mainUs.toFixed(1)} µs); one at a time: ${rt.toFixed(0)} µs round trip`,
      );
    } finally {
      await runtime.close();
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runtimeOverheadBench().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`runtime overhead bench failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
