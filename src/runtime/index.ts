/**
 * The runtime: runs an EU on an input in a sandbox and returns its output or
 * a stable error code. It knows nothing of the network.
 *
 * - `createRuntime()` — the sandbox (QuickJS in worker threads) and the host
 *   capabilities (`nlp`, `embed.text`, `llm.complete`).
 * - EU packages: `loadEuFolder`, `parseManifest`, `checkPackage`, `compileSchemas`.
 * - Embeddings for semantic verification: `createEmbedder`, `cosineSimilarity`.
 * - `detectResources()` — CPU, memory and GPU memory of this machine.
 */
export type { ExecutionRequest, ExecutionOutcome, Runtime, RuntimeOptions } from './execution-types.js';
export { createRuntime, SandboxRuntime, probeLlm } from './sandbox-runtime.js';
export { EXECUTION_ERROR_CODES, MAX_OUTPUT_BYTES, type ExecutionErrorCode } from './execution-codes.js';
export type { CapabilityConfig, CapabilityProblem, HostCapability } from './capabilities/capability-config.js';
export { HOST_API, HOST_CAPABILITIES, llmModelCapability } from './capabilities/capability-config.js';
export type { LlmBackendConfig, CompletionRequest, Completion } from './capabilities/llm-client.js';
export { chatCompletionsUrl } from './capabilities/llm-client.js';
export type { NlpToken, NlpEntity } from './capabilities/wink.js';
export { loadEuFolder, parseManifest, checkPackage, type FieldProblem } from './eu-package.js';
export { compileSchemas, type EuSchemas, type SchemaCheck } from './eu-schemas.js';
export { detectResources, type MachineResources } from './resources.js';
export {
  createEmbedder,
  cosineSimilarity,
  TfidfEmbedder,
  WordVectorEmbedder,
  DEFAULT_SEMANTIC_THRESHOLD,
  type Embedder,
  type EmbedderKind,
} from './embed/index.js';
