/**
 * Messages between the worker pool (main thread) and a sandbox worker.
 * A worker announces itself with `ready` (after probing its capabilities),
 * then answers every `run` with `done`, or with `missing` when the run named
 * an EU package the worker no longer holds (the pool then resends it).
 */
import type { EuPackage } from '../../protocol/index.js';
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

export interface RunMessage {
  t: 'run';
  id: number;
  euId: string;
  /** The package, when the pool has not sent it to this worker before. */
  eu?: EuPackage;
  input: unknown;
  seed: string;
  clock: number;
}

export type ToWorker = RunMessage;

export type FromWorker =
  | { t: 'ready'; capabilities: string[]; problems: CapabilityProblem[] }
  | { t: 'done'; id: number; outcome: ExecutionOutcome }
  | { t: 'missing'; id: number }
  | { t: 'fatal'; message: string };
