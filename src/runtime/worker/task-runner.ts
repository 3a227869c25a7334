/**
 * Runs one execution inside a worker: checks the input against the EU's
 * schema, takes a warm context, runs the task, checks the output (size,
 * JSON, schema), and measures it. Everything the EU does wrong becomes an
 * `{ok: false}` outcome with a stable code; nothing here throws for it.
 */
import { createHash } from 'node:crypto';
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { EuPackage, ExecutionMetrics } from '../../protocol/index.js';
import type { HostServices } from '../capabilities/host-services.js';
import { compileSchemas, type EuSchemas } from '../eu-schemas.js';
import { MAX_OUTPUT_BYTES, type ExecutionErrorCode } from '../execution-codes.js';
import type { ExecutionOutcome } from '../execution-types.js';
import { ContextPool } from './context-pool.js';
import type { RunMessage, WorkerConfig } from './messages.js';

/** Smallest memory limit given to an EU: the locked-down context alone takes ~1 MB. */
const MIN_MEMORY_MB = 16;
const MB = 1024 * 1024;

/** Outputs discarded after seeding sfc32, as its author recommends, so that similar seeds diverge. */
const SFC32_WARM_UP = 12;

/**
 * The four 32-bit words of sfc32's state for a task: the first 128 bits of
 * the seed's SHA-256, run through the generator's warm-up here (cheaper than
 * inside the sandbox). The prelude's `random` continues from this state.
 */
export function seedWords(seed: string): [number, number, number, number] {
  const digest = createHash('sha256').update(seed, 'utf8').digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  for (let i = 0; i < SFC32_WARM_UP; i++) {
    const t = (((a + b) | 0) + d + 1) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
  }
  return [a >>> 0, b >>> 0, c >>> 0, d >>> 0];
}

function failed(code: ExecutionErrorCode, message: string, metrics: ExecutionMetrics): ExecutionOutcome {
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

  async run(pkg: EuPackage, message: RunMessage): Promise<ExecutionOutcome> {
    const started = performance.now();
    const metrics = (cpuMs = 0, memoryMb?: number): ExecutionMetrics => {
      const m: ExecutionMetrics = { durationMs: round(performance.now() - started), cpuMs: round(cpuMs) };
      if (memoryMb !== undefined) m.memoryMb = round(memoryMb);
      return m;
    };
    let schemas: EuSchemas;
    try {
      schemas = compileSchemas(pkg.manifest, pkg.id);
    } catch (error) {
      return failed('EU_BAD_MODULE', (error as Error).message, metrics());
    }
    let inputText: string | undefined;
    try {
      inputText = JSON.stringify(message.input);
    } catch (error) {
      return failed('EU_INPUT_INVALID', `the input is not JSON: ${(error as Error).message}`, metrics());
    }
    if (inputText === undefined) return failed('EU_INPUT_INVALID', 'the input is not JSON (it is undefined or a function)', metrics());
    const inputCheck = schemas.validateInput(message.input);
    if (!inputCheck.ok) return failed('EU_INPUT_INVALID', inputCheck.message, metrics());

    const memoryMb = Math.max(MIN_MEMORY_MB, Math.min(this.config.memoryCapMb, pkg.manifest.requirements.memoryMb));
    // A context that cannot be created means a broken QuickJS heap: the
    // error propagates and the worker is replaced.
    const pooled = this.contexts.take(pkg, { memoryBytes: memoryMb * MB, stackBytes: this.config.stackBytes });
    let result;
    try {
      result = await pooled.context.run({
        inputText,
        seedWords: seedWords(message.seed),
        clock: message.clock,
        budgetMs: Math.min(pkg.manifest.timeoutMs, this.config.timeoutCapMs),
      });
    } finally {
      this.contexts.give(pkg.id, pooled);
    }
    const measured = metrics(result.cpuMs, pooled.memoryBytes / MB);
    if (!result.ok) return failed(result.code, result.message, measured);
    const bytes = Buffer.byteLength(result.outputText, 'utf8');
    if (bytes > MAX_OUTPUT_BYTES) return failed('EU_OUTPUT_TOO_LARGE', `the output is ${bytes} bytes of JSON; the limit is ${MAX_OUTPUT_BYTES}`, measured);
    const output: unknown = JSON.parse(result.outputText);
    const outputCheck = schemas.validateOutput(output);
    if (!outputCheck.ok) return failed('EU_OUTPUT_INVALID', outputCheck.message, measured);
    return { ok: true, output, metrics: measured };
  }

  /** Frees every warm context. */
  close(): void {
    this.contexts.clear();
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
