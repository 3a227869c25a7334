/**
 * Which host capabilities a runtime offers, what each looks like inside the
 * sandbox, and how the operator configures them.
 *
 * An EU reaches the outside world only through `host.<namespace>.<method>`,
 * and a namespace is present only when the EU's manifest lists the
 * capability in `requirements.capabilities` and the runtime's start-up probe
 * found it working.
 */
import type { LlmBackendConfig } from './llm-client.js';

/** Operator configuration of host capabilities. */
export interface CapabilityConfig {
  /** Offer `nlp` (wink-nlp with its English lite model). Default true. */
  nlp?: boolean;
  /** Offer `embed.text` (hashed term vectors). Default true. */
  embed?: boolean;
  /** Offer `llm.complete` through this OpenAI-compatible backend. Absent: no LLM. */
  llm?: LlmBackendConfig;
}

export type HostCapability = 'nlp' | 'embed.text' | 'llm.complete';

/** The sandbox face of each capability. Async methods return promises inside the sandbox. */
export const HOST_API: Record<HostCapability, { namespace: string; methods: readonly string[]; async: boolean }> = {
  nlp: {
    namespace: 'nlp',
    methods: ['sentences', 'tokens', 'tokenColumns', 'sentiment', 'keywords', 'entities'],
    async: false,
  },
  'embed.text': { namespace: 'embed', methods: ['text'], async: false },
  'llm.complete': { namespace: 'llm', methods: ['complete'], async: true },
};

export const HOST_CAPABILITIES = Object.keys(HOST_API) as HostCapability[];

/** Capabilities an EU gets as host namespaces: those its manifest lists that the runtime offers. */
export function offeredCapabilities(required: readonly string[], offered: ReadonlySet<string>): HostCapability[] {
  return HOST_CAPABILITIES.filter((c) => required.includes(c) && offered.has(c));
}

/** The capability an operator advertises for its LLM model, `llm:<model>` (lowercased, as capability names are). */
export function llmModelCapability(model: string): string {
  return `llm:${model.toLowerCase().replace(/[^a-z0-9._:/-]/g, '-')}`;
}

/** True for names this runtime owns (`nlp`, `embed.text`, `llm.complete`, `llm:<model>`). */
export function isRuntimeCapability(name: string): boolean {
  return Object.hasOwn(HOST_API, name) || name.startsWith('llm:');
}

/** Where a probe found a configured capability not working. */
export interface CapabilityProblem {
  capability: string;
  reason: string;
}
