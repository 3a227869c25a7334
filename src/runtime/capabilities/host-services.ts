/**
 * The host side of the sandbox's `host` object, inside one worker thread:
 * the capabilities that passed their probe, dispatched by method name
 * (`nlp.sentences`, `llm.complete` …). Arguments and results are plain JSON.
 */
import { CortenError } from '../../protocol/index.js';
import { TfidfEmbedder } from '../embed/tfidf-embedder.js';
import type { CapabilityConfig, CapabilityProblem, HostCapability } from './capability-config.js';
import { LlmClient } from './llm-client.js';
import { NlpCapability, badArgument, MAX_NLP_TEXT_CHARS } from './nlp-capability.js';
import { loadWink } from './wink.js';

/** Digits kept in `host.embed.text` components: float32 precision, in short JSON. */
const EMBED_DIGITS = 1e6;

export class HostServices {
  private constructor(
    readonly capabilities: ReadonlySet<HostCapability>,
    private readonly nlp: NlpCapability | undefined,
    private readonly embedder: TfidfEmbedder | undefined,
    private readonly llm: LlmClient | undefined,
  ) {}

  /**
   * Loads and probes the configured capabilities. `llmProbed` says whether
   * the main thread's probe of the LLM backend succeeded (one probe per
   * runtime, not one per worker).
   */
  static start(
    config: CapabilityConfig,
    llmProbed: boolean,
  ): { services: HostServices; problems: CapabilityProblem[] } {
    const problems: CapabilityProblem[] = [];
    const enabled = new Set<HostCapability>();
    let nlp: NlpCapability | undefined;
    let embedder: TfidfEmbedder | undefined;
    if (config.nlp !== false || config.embed !== false) {
      try {
        const wink = loadWink();
        if (config.nlp !== false) {
          const candidate = new NlpCapability(wink);
          if (candidate.sentences('Corten runs workloads. It verifies them.').length === 2) {
            nlp = candidate;
            enabled.add('nlp');
          } else
            problems.push({
              capability: 'nlp',
              reason: 'the model did not split a two-sentence sample into two sentences',
            });
        }
        if (config.embed !== false) {
          const candidate = new TfidfEmbedder({ wink });
          if (candidate.embedOne('verified workloads').some((x) => x !== 0)) {
            embedder = candidate;
            enabled.add('embed.text');
          } else problems.push({ capability: 'embed.text', reason: 'a sample text embedded as a zero vector' });
        }
      } catch (cause) {
        const reason = `wink-nlp failed to load: ${(cause as Error).message}`;
        if (config.nlp !== false) problems.push({ capability: 'nlp', reason });
        if (config.embed !== false) problems.push({ capability: 'embed.text', reason });
      }
    }
    let llm: LlmClient | undefined;
    if (config.llm !== undefined && llmProbed) {
      llm = new LlmClient(config.llm);
      enabled.add('llm.complete');
    }
    return { services: new HostServices(enabled, nlp, embedder, llm), problems };
  }

  /** Runs a synchronous host method. Throws CortenError: VALIDATION_FAILED for bad arguments. */
  call(method: string, args: unknown[]): unknown {
    switch (method) {
      case 'nlp.sentences':
        return this.need(this.nlp, method).sentences(args[0]);
      case 'nlp.tokens':
        return this.need(this.nlp, method).tokens(args[0], args[1]);
      case 'nlp.tokenColumns':
        return this.need(this.nlp, method).tokenColumns(args[0], args[1]);
      case 'nlp.sentiment':
        return this.need(this.nlp, method).sentiment(args[0]);
      case 'nlp.keywords':
        return this.need(this.nlp, method).keywords(args[0], args[1] ?? 10);
      case 'nlp.entities':
        return this.need(this.nlp, method).entities(args[0]);
      case 'embed.text': {
        const text = args[0];
        if (typeof text !== 'string') throw badArgument('host.embed.text(text): text must be a string');
        if (text.length > MAX_NLP_TEXT_CHARS)
          throw badArgument(
            `host.embed.text(text): text has ${text.length} characters; the limit is ${MAX_NLP_TEXT_CHARS}`,
          );
        return Array.from(
          this.need(this.embedder, method).embedOne(text),
          (x) => Math.round(x * EMBED_DIGITS) / EMBED_DIGITS,
        );
      }
      default:
        throw new CortenError('INTERNAL', `no synchronous host method ${method}`);
    }
  }

  /** Runs an asynchronous host method; `signal` aborts it when the execution ends first. */
  callAsync(method: string, args: unknown[], signal: AbortSignal): Promise<unknown> {
    if (method === 'llm.complete') return this.need(this.llm, method).complete(args[0], signal);
    return Promise.reject(new CortenError('INTERNAL', `no asynchronous host method ${method}`));
  }

  private need<T>(service: T | undefined, method: string): T {
    if (service === undefined)
      throw new CortenError('INTERNAL', `host method ${method} is not available on this runtime`);
    return service;
  }
}
