/**
 * `createRuntime`: probes the configured host capabilities, starts the pool
 * of sandbox workers, and runs executions on it. This is the whole surface
 * the operator agent uses.
 */
import { availableParallelism } from 'node:os';
import { CortenError, type EuManifest } from '../protocol/index.js';
import {
  isRuntimeCapability,
  llmModelCapability,
  type CapabilityConfig,
  type CapabilityProblem,
} from './capabilities/capability-config.js';
import { LlmClient, type LlmBackendConfig } from './capabilities/llm-client.js';
import type { ExecutionOutcome, ExecutionRequest, Runtime, RuntimeOptions } from './execution-types.js';
import { WorkerPool } from './worker-pool.js';
import type { WorkerConfig } from './worker/messages.js';

const DEFAULT_MEMORY_CAP_MB = 256;
/** QuickJS's stack limit must stay within the WebAssembly stack, or deep recursion aborts the worker. */
const MAX_STACK_KB = 256;
const DEFAULT_MAX_TIMEOUT_MS = 60_000;
const DEFAULT_IN_FLIGHT = 4;
const DEFAULT_RECYCLE_AFTER = 2_000;
/** Longest wait for the LLM probe's tiny completion at start. */
const LLM_PROBE_TIMEOUT_MS = 15_000;
const MAX_SEED_LENGTH = 256;

/** Asks the backend for a tiny completion; returns why it failed, or undefined when it answered. */
export async function probeLlm(config: LlmBackendConfig): Promise<string | undefined> {
  const client = new LlmClient({
    ...config,
    timeoutMs: Math.min(config.timeoutMs ?? LLM_PROBE_TIMEOUT_MS, LLM_PROBE_TIMEOUT_MS),
  });
  try {
    await client.complete({ prompt: 'Reply with the single word: ok', maxTokens: 8, temperature: 0 });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function missingCapabilities(manifest: EuManifest, offered: ReadonlySet<string>): string[] {
  return manifest.requirements.capabilities.filter((c) => isRuntimeCapability(c) && !offered.has(c));
}

/** The runtime `createRuntime` returns. */
export class SandboxRuntime implements Runtime {
  readonly capabilities: string[];
  private readonly offered: ReadonlySet<string>;

  constructor(
    /** The worker pool; exposed for diagnostics and tests. */
    readonly pool: WorkerPool,
    capabilities: string[],
    /** Configured capabilities whose probe failed, and why. */
    readonly unavailable: readonly CapabilityProblem[],
    private readonly maxTimeoutMs: number,
  ) {
    this.capabilities = capabilities;
    this.offered = new Set(capabilities);
  }

  execute(req: ExecutionRequest): Promise<ExecutionOutcome> {
    const eu = req?.eu;
    if (
      eu === undefined ||
      typeof eu.id !== 'string' ||
      typeof eu.manifest !== 'object' ||
      typeof eu.files !== 'object'
    ) {
      return Promise.reject(
        new CortenError('VALIDATION_FAILED', 'an execution request needs eu {id, manifest, files}'),
      );
    }
    if (!Array.isArray(eu.manifest.requirements?.capabilities) || typeof eu.manifest.timeoutMs !== 'number') {
      return Promise.reject(
        new CortenError(
          'VALIDATION_FAILED',
          'eu.manifest must be a parsed manifest (parseManifest fills in its defaults)',
        ),
      );
    }
    if (typeof req.seed !== 'string' || req.seed.length === 0 || req.seed.length > MAX_SEED_LENGTH) {
      return Promise.reject(
        new CortenError('VALIDATION_FAILED', `seed must be a string of 1 to ${MAX_SEED_LENGTH} characters`),
      );
    }
    if (typeof req.clock !== 'number' || !Number.isFinite(req.clock)) {
      return Promise.reject(new CortenError('VALIDATION_FAILED', 'clock must be a finite number (ms since epoch)'));
    }
    const missing = missingCapabilities(eu.manifest, this.offered);
    if (missing.length > 0) {
      return Promise.resolve({
        ok: false,
        error: {
          code: 'EU_REQUIREMENTS_UNMET',
          message: `this runtime does not offer ${missing.join(', ')} (it offers ${this.capabilities.join(', ') || 'no capabilities'})`,
        },
        metrics: { durationMs: 0 },
      });
    }
    return this.pool.run(req, Math.min(eu.manifest.timeoutMs, this.maxTimeoutMs));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Probes the configured capabilities (the NLP model loads and answers a
 * sample in every worker; the LLM backend answers a tiny completion) and
 * starts the worker pool. Only what works is advertised in `capabilities`;
 * `llm.complete` also brings `llm:<model>`.
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<SandboxRuntime> {
  const capabilities: CapabilityConfig = options.capabilities ?? {};
  const workers = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const stackKb = Math.min(MAX_STACK_KB, Math.max(64, options.limits?.stackKb ?? MAX_STACK_KB));
  const maxTimeoutMs = Math.max(10, options.limits?.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS);
  const unavailable: CapabilityProblem[] = [];
  let llmProbed = false;
  if (capabilities.llm !== undefined) {
    const failure = await probeLlm(capabilities.llm);
    llmProbed = failure === undefined;
    if (failure !== undefined) unavailable.push({ capability: 'llm.complete', reason: failure });
  }
  const config: WorkerConfig = {
    capabilities,
    llmProbed,
    memoryCapMb: Math.max(16, options.limits?.memoryMb ?? DEFAULT_MEMORY_CAP_MB),
    stackBytes: stackKb * 1024,
    timeoutCapMs: maxTimeoutMs,
    recycleAfter: Math.max(1, options.recycleAfter ?? DEFAULT_RECYCLE_AFTER),
  };
  const pool = new WorkerPool(config, workers, Math.max(1, options.maxInFlightPerWorker ?? DEFAULT_IN_FLIGHT));
  const ready = await pool.start();
  const everywhere = ready
    .map((r) => new Set(r.capabilities))
    .reduce((common, next) => new Set([...common].filter((c) => next.has(c))));
  const advertised = [...everywhere].sort();
  if (everywhere.has('llm.complete') && capabilities.llm !== undefined)
    advertised.push(llmModelCapability(capabilities.llm.model));
  const seen = new Set<string>();
  for (const problem of ready.flatMap((r) => r.problems)) {
    if (seen.has(problem.capability)) continue;
    seen.add(problem.capability);
    unavailable.push(problem);
  }
  return new SandboxRuntime(pool, advertised, unavailable, maxTimeoutMs);
}
