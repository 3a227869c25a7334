/**
 * Stable codes of failed executions. They travel as plain strings in
 * `ExecutionOutcome.error.code` and in signed results, so replicas of one task
 * that fail the same way produce the same code (exact verification can agree
 * on a failure). They are not `CortenError` codes: nothing threw; the EU simply
 * did not produce a valid output.
 */
export const EXECUTION_ERROR_CODES = {
  /** The EU ran past its CPU or wall-clock budget (manifest `timeoutMs`, capped by the runtime). */
  EU_TIMEOUT: 'EU_TIMEOUT',
  /** The EU allocated past its memory limit. */
  EU_OUT_OF_MEMORY: 'EU_OUT_OF_MEMORY',
  /** The EU recursed past the sandbox's stack limit. */
  EU_STACK_OVERFLOW: 'EU_STACK_OVERFLOW',
  /** `run` returned a promise that can never settle: nothing is left to run and no host call is pending. */
  EU_STALLED: 'EU_STALLED',
  /** The EU threw (or its promise rejected); the message carries `Name: message`. */
  EU_THREW: 'EU_THREW',
  /** The entry module failed to compile, or does not export a `run` function. */
  EU_BAD_MODULE: 'EU_BAD_MODULE',
  /** `run` returned something JSON cannot carry exactly (a function, undefined, a BigInt, a cycle, NaN, a Date …). */
  EU_OUTPUT_NOT_JSON: 'EU_OUTPUT_NOT_JSON',
  /** The output is JSON but fails the manifest's output schema. */
  EU_OUTPUT_INVALID: 'EU_OUTPUT_INVALID',
  /** The output's JSON text is larger than the runtime accepts. */
  EU_OUTPUT_TOO_LARGE: 'EU_OUTPUT_TOO_LARGE',
  /** The output nests deeper than MAX_VALUE_DEPTH (src/protocol/limits.ts): no side could hash or store it safely. */
  EU_OUTPUT_TOO_DEEP: 'EU_OUTPUT_TOO_DEEP',
  /** The input is not JSON or fails the manifest's input schema; the EU did not run. */
  EU_INPUT_INVALID: 'EU_INPUT_INVALID',
  /**
   * The EU imported a module that is not one of its own files (`node:fs`,
   * `http://…`, a bare name, a path out of the package). Globals the sandbox
   * does not have (`require`, `process`, `fetch`, timers) are simply absent:
   * using one is a ReferenceError, reported as EU_THREW.
   */
  EU_FORBIDDEN: 'EU_FORBIDDEN',
  /** A host capability (an LLM backend, say) failed and the EU did not handle the error. */
  EU_HOST_ERROR: 'EU_HOST_ERROR',
  /** The manifest requires a host capability this runtime does not offer; the EU did not run. */
  EU_REQUIREMENTS_UNMET: 'EU_REQUIREMENTS_UNMET',
  /** The sandbox worker thread died while running the execution; it has been replaced. */
  EU_CRASHED: 'EU_CRASHED',
} as const;

export type ExecutionErrorCode = keyof typeof EXECUTION_ERROR_CODES;

/** Failures after which a sandbox context is thrown away rather than reused. */
export const CONTEXT_POISONING_CODES: ReadonlySet<ExecutionErrorCode> = new Set([
  'EU_TIMEOUT',
  'EU_OUT_OF_MEMORY',
  'EU_STACK_OVERFLOW',
  'EU_CRASHED',
]);

/** Largest output, as JSON text, an execution may return: one limit for the runtime, the agent and the coordinator. */
export { MAX_OUTPUT_BYTES } from '../protocol/limits.js';
