/**
 * Runs one execution inside a worker: checks the input against the EU's
 * schema, takes a warm context, runs the task, checks the output (size,
 * JSON, schema), and measures it. Everything the EU does wrong becomes an
 * `{ok: false}` outcome with a stable code; nothing here throws for it.
 * An execution that finishes without waiting (no host call, no pending job)
 * gives its outcome directly, not through a promise.
 */
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { ExecutionMetrics } from '../../protocol/index.js';
import type { HostServices } from '../capabilities/host-services.js';
import type { EuSchemas } from '../eu-schemas.js';
import { MAX_VALUE_DEPTH, textTooDeep } from '../../protocol/limits.js';
import { MAX_OUTPUT_BYTES, type ExecutionErrorCode } from '../execution-codes.js';
import { ContextPool, type PooledContext } from './context-pool.js';
import type { SandboxResult } from './eu-context.js';
import type { RunRequest, WorkerConfig, WorkerOutcome } from './messages.js';
import type { HeldPackage } from './package-cache.js';
import { seedWords } from './seed-words.js';

/** Smallest memory limit given to an EU: the locked-down context alone takes ~1 MB. */
const MIN_MEMORY_MB = 16;
const MB = 1024 * 1024;

/** UTF-8 takes at most 3 bytes per UTF-16 code unit: text this short cannot exceed the output limit. */
const SURELY_SMALL_OUTPUT = Math.floor(MAX_OUTPUT_BYTES / 3);

function failed(code: ExecutionErrorCode, message: string, metrics: ExecutionMetrics): WorkerOutcome {
  return { ok: false, error: { code, message }, metrics };
}

export class TaskRunner {
  private readonly contexts: ContextPool;

  constructor(
    quickjs: QuickJSWASMModule,
    services: HostServices,
    private readonly config: WorkerConfig,
  ) {
    this.contexts = new ContextPool(quickjs, services, config.recycleAfter);
  }

  /**
   * Runs `request` on `held`'s EU: its outcome, or a promise of it when the
   * EU waits (on a host call or a job). Throws (or rejects) only when the
   * sandbox itself fails: the worker is then beyond repair.
   */
  run(held: HeldPackage, request: RunRequest): WorkerOutcome | Promise<WorkerOutcome> {
    const started = performance.now();
    const { pkg } = held;
    let schemas: EuSchemas;
    try {
      schemas = held.schemas();
    } catch (error) {
      return failed('EU_BAD_MODULE', (error as Error).message, measure(started));
    }
    let inputText: string | undefined;
    try {
      inputText = JSON.stringify(request.input);
    } catch (error) {
      return failed('EU_INPUT_INVALID', `the input is not JSON: ${(error as Error).message}`, measure(started));
    }
    if (inputText === undefined)
      return failed('EU_INPUT_INVALID', 'the input is not JSON (it is undefined or a function)', measure(started));
    const inputCheck = schemas.validateInput(request.input);
    if (!inputCheck.ok) return failed('EU_INPUT_INVALID', inputCheck.message, measure(started));

    const memoryMb = Math.max(MIN_MEMORY_MB, Math.min(this.config.memoryCapMb, pkg.manifest.requirements.memoryMb));
    // A context that cannot be created means a broken QuickJS heap: the
    // error propagates and the worker is replaced.
    const pooled = this.contexts.take(pkg, { memoryBytes: memoryMb * MB, stackBytes: this.config.stackBytes });
    let result: SandboxResult | Promise<SandboxResult>;
    try {
      result = pooled.context.run({
        inputText,
        seedWords: seedWords(request.seed),
        clock: request.clock,
        budgetMs: Math.min(pkg.manifest.timeoutMs, this.config.timeoutCapMs),
      });
    } catch (error) {
      this.contexts.give(pkg.id, pooled);
      throw error;
    }
    if (result instanceof Promise)
      return result.then((settled) => this.complete(held, pooled, settled, schemas, started));
    return this.complete(held, pooled, result, schemas, started);
  }

  /** Frees every warm context. */
  close(): void {
    this.contexts.clear();
  }

  /** Returns the context to the pool and checks the output. */
  private complete(
    held: HeldPackage,
    pooled: PooledContext,
    result: SandboxResult,
    schemas: EuSchemas,
    started: number,
  ): WorkerOutcome {
    this.contexts.give(held.pkg.id, pooled);
    const measured = measure(started, result.cpuMs, pooled.memoryBytes / MB);
    if (!result.ok) return failed(result.code, result.message, measured);
    const text = result.outputText;
    if (text.length > SURELY_SMALL_OUTPUT) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > MAX_OUTPUT_BYTES)
        return failed(
          'EU_OUTPUT_TOO_LARGE',
          `the output is ${bytes} bytes of JSON; the limit is ${MAX_OUTPUT_BYTES}`,
          measured,
        );
    }
    // Before parsing: schema validation and canonical hashing recurse.
    if (textTooDeep(text, MAX_VALUE_DEPTH)) {
      return failed('EU_OUTPUT_TOO_DEEP', `the output nests deeper than ${MAX_VALUE_DEPTH} levels`, measured);
    }
    const outputCheck = schemas.validateOutput(JSON.parse(text));
    if (!outputCheck.ok) return failed('EU_OUTPUT_INVALID', outputCheck.message, measured);
    return { ok: true, outputText: text, metrics: measured };
  }
}

function measure(started: number, cpuMs = 0, memoryMb?: number): ExecutionMetrics {
  const m: ExecutionMetrics = { durationMs: round(performance.now() - started), cpuMs: round(cpuMs) };
  if (memoryMb !== undefined && memoryMb > 0) m.memoryMb = round(memoryMb);
  return m;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
