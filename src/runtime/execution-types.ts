/**
 * The runtime's public types: what the operator asks for and gets back.
 */
import type { EuPackage, ExecutionMetrics } from '../protocol/index.js';
import type { CapabilityConfig } from './capabilities/capability-config.js';

export interface ExecutionRequest {
  /** The EU to run; its `id` keys the runtime's caches, so it must be the package's content address. */
  eu: EuPackage;
  input: unknown;
  /** Hex seed for `Math.random`, the same on every replica of a task. */
  seed: string;
  /** The instant (ms since epoch) the EU's clock shows, the same on every replica. */
  clock: number;
}

export type ExecutionOutcome =
  | { ok: true; output: unknown; metrics: ExecutionMetrics }
  | { ok: false; error: { code: string; message: string }; metrics: ExecutionMetrics };

export interface Runtime {
  /** Capabilities that passed their start-up probe (`nlp`, `embed.text`, `llm.complete`, `llm:<model>`). */
  readonly capabilities: string[];
  /**
   * Runs an EU on an input. Resolves `{ok: false}` for every fault of the EU
   * or its input (see EXECUTION_ERROR_CODES); rejects only for a malformed
   * request (VALIDATION_FAILED) or a closed runtime (SHUTTING_DOWN).
   */
  execute(req: ExecutionRequest): Promise<ExecutionOutcome>;
  /** Stops the workers; executions still queued or running reject with SHUTTING_DOWN. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Sandbox worker threads; default: the machine's available parallelism. */
  workers?: number;
  /** Host capabilities to offer; default: `nlp` and `embed.text`, no LLM. */
  capabilities?: CapabilityConfig;
  limits?: {
    /** Most memory one execution may use, in MB (an EU gets its requirements.memoryMb up to this). Default 256. */
    memoryMb?: number;
    /** Sandbox stack, in KB; at most 256. Default 256. */
    stackKb?: number;
    /** Most time one execution may take, in ms, whatever its manifest's timeoutMs. Default 60,000. */
    maxTimeoutMs?: number;
  };
  /**
   * Executions one worker holds at once (one runs, the rest wait in its queue
   * or on host calls). Default 4. For an EU whose executions take under 2 ms
   * a worker holds four times as many, so that it is not left idle while
   * results and new runs cross between threads.
   */
  maxInFlightPerWorker?: number;
  /**
   * Tasks after which a warm sandbox context is replaced (sooner when its
   * memory passes half its limit). Default 2,000: a context costs ~5 ms to
   * build, and its evaluated modules cost more to free the more there are.
   */
  recycleAfter?: number;
}
