/**
 * Messages between the worker pool (main thread) and a sandbox worker.
 * A worker announces itself with `ready` (after probing its capabilities),
 * then answers every run it is sent with a result: an outcome, or `missing`
 * when the run named an EU package the worker no longer holds (the pool then
 * resends it).
 *
 * Runs and results travel in batches, both ways: a message costs the same
 * few microseconds to post and to receive whether it carries one run or
 * fifty, so each side collects what it has to send during one turn of its
 * event loop and sends it as one message. A batch is one flat array of
 * fields, RUN_FIELDS a run and RESULT_FIELDS a result, rather than an object
 * each: cloning objects between threads costs per object and per key, and
 * for small executions that was most of a message's cost. An output crosses
 * as its JSON text (the worker has it, having checked it), parsed once on the
 * main thread. This module alone writes and reads the layout.
 */
import type { EuPackage, ExecutionMetrics } from '../../protocol/index.js';
import type { CapabilityConfig, CapabilityProblem } from '../capabilities/capability-config.js';
import type { ExecutionOutcome } from '../execution-types.js';

/** What a worker is started with (its `workerData`). */
export interface WorkerConfig {
  capabilities: CapabilityConfig;
  /** Whether the main thread's probe of the LLM backend succeeded. */
  llmProbed: boolean;
  /** Most memory one EU may use, in MB. */
  memoryCapMb: number;
  stackBytes: number;
  /** Most time one execution may take, in ms, whatever its manifest says. */
  timeoutCapMs: number;
  /** Tasks after which a warm context is replaced, bounding the memory its evaluated modules hold. */
  recycleAfter: number;
}

/** One execution for the worker. */
export interface RunRequest {
  id: number;
  euId: string;
  /** The package, when the pool has not sent it to this worker before. */
  eu?: EuPackage;
  input: unknown;
  seed: string;
  clock: number;
}

/** An outcome as a worker produces it: an output stays JSON text until it reaches the main thread. */
export type WorkerOutcome =
  | { ok: true; outputText: string; metrics: ExecutionMetrics }
  | { ok: false; error: { code: string; message: string }; metrics: ExecutionMetrics };

/** Runs, RUN_FIELDS values each: id, euId, input, seed, clock, package or null. */
export type RunBatch = unknown[];
/** Results, RESULT_FIELDS values each: id, kind, output text or error code, error message, durationMs, cpuMs, memoryMb.
 * */
export type ResultBatch = unknown[];

export type ToWorker = { t: 'run'; runs: RunBatch };

export type FromWorker =
  | { t: 'ready'; capabilities: string[]; problems: CapabilityProblem[] }
  | { t: 'done'; results: ResultBatch }
  | { t: 'fatal'; message: string };

const RUN_FIELDS = 6;
const RESULT_FIELDS = 7;
/** A result's kind. */
const OK = 0;
const FAILED = 1;
const MISSING = 2;

export function addRun(batch: RunBatch, run: RunRequest): void {
  batch.push(run.id, run.euId, run.input, run.seed, run.clock, run.eu ?? null);
}

/** Calls `each` with every run of `batch`, in order. */
export function forEachRun(batch: RunBatch, each: (run: RunRequest) => void): void {
  for (let i = 0; i + RUN_FIELDS <= batch.length; i += RUN_FIELDS) {
    const run: RunRequest = {
      id: batch[i] as number,
      euId: batch[i + 1] as string,
      input: batch[i + 2],
      seed: batch[i + 3] as string,
      clock: batch[i + 4] as number,
    };
    const eu = batch[i + 5] as EuPackage | null;
    if (eu !== null) run.eu = eu;
    each(run);
  }
}

export function addOutcome(batch: ResultBatch, id: number, outcome: WorkerOutcome): void {
  const { durationMs, cpuMs, memoryMb } = outcome.metrics;
  if (outcome.ok) batch.push(id, OK, outcome.outputText, null, durationMs, cpuMs ?? null, memoryMb ?? null);
  else batch.push(id, FAILED, outcome.error.code, outcome.error.message, durationMs, cpuMs ?? null, memoryMb ?? null);
}

export function addMissing(batch: ResultBatch, id: number): void {
  batch.push(id, MISSING, null, null, null, null, null);
}

/** Calls `each` with the id and the outcome (or `missing`) of every result of `batch`, in order. */
export function forEachResult(
  batch: ResultBatch,
  each: (id: number, result: ExecutionOutcome | 'missing') => void,
): void {
  for (let i = 0; i + RESULT_FIELDS <= batch.length; i += RESULT_FIELDS) {
    const id = batch[i] as number;
    const kind = batch[i + 1] as number;
    if (kind === MISSING) {
      each(id, 'missing');
      continue;
    }
    const metrics: ExecutionMetrics = { durationMs: batch[i + 4] as number };
    const cpuMs = batch[i + 5] as number | null;
    const memoryMb = batch[i + 6] as number | null;
    if (cpuMs !== null) metrics.cpuMs = cpuMs;
    if (memoryMb !== null) metrics.memoryMb = memoryMb;
    if (kind === OK) each(id, { ok: true, output: JSON.parse(batch[i + 2] as string) as unknown, metrics });
    else each(id, { ok: false, error: { code: batch[i + 2] as string, message: batch[i + 3] as string }, metrics });
  }
}
