/**
 * The `llm.complete` host capability's backend: an OpenAI-compatible chat
 * completions endpoint (`POST {baseUrl}/v1/chat/completions`), as served by
 * OpenAI, vLLM, llama.cpp's server, Ollama and others. The operator
 * configures the base URL and model; EUs never see either.
 */
import { CortenError } from '../../protocol/index.js';
import { badArgument } from './nlp-capability.js';

/** Where the operator's LLM lives. */
export interface LlmBackendConfig {
  /** e.g. `http://127.0.0.1:8000` or `http://127.0.0.1:11434/v1` (as Ollama and vLLM write it): both mean the same. */
  baseUrl: string;
  /** Model name sent with every request; advertised as the capability `llm:<model>`. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Longest wait for one completion, in ms, whatever the EU's budget. Default 120 s. */
  timeoutMs?: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What an EU passes to `host.llm.complete`. */
export interface CompletionRequest {
  prompt?: string;
  messages?: ChatMessage[];
  /** Default 512, at most 8192. */
  maxTokens?: number;
  /** Default 0 (as repeatable as the backend allows), at most 2. */
  temperature?: number;
}

/** What `host.llm.complete` resolves to. */
export interface Completion {
  text: string;
  finishReason: string | null;
  usage: { promptTokens: number; completionTokens: number } | null;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_TOKENS = 512;
const MAX_TOKENS = 8192;
const MAX_PROMPT_CHARS = 200_000;
const MAX_MESSAGES = 64;
const ROLES = new Set(['system', 'user', 'assistant']);

/** Checks and normalizes an EU's request; throws the argument error it sees as a TypeError. */
export function parseCompletionRequest(raw: unknown): {
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
} {
  const where = 'host.llm.complete(request)';
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw badArgument(`${where}: request must be an object`);
  const req = raw as Record<string, unknown>;
  let messages: ChatMessage[];
  if (typeof req.prompt === 'string' && req.messages === undefined) {
    messages = [{ role: 'user', content: req.prompt }];
  } else if (Array.isArray(req.messages) && req.prompt === undefined) {
    if (req.messages.length === 0 || req.messages.length > MAX_MESSAGES)
      throw badArgument(`${where}: messages must hold 1 to ${MAX_MESSAGES} messages`);
    messages = req.messages.map((m: unknown, i) => {
      const msg = m as Record<string, unknown> | null;
      if (
        msg === null ||
        typeof msg !== 'object' ||
        !ROLES.has(msg.role as string) ||
        typeof msg.content !== 'string'
      ) {
        throw badArgument(`${where}: messages[${i}] must be {role: "system" | "user" | "assistant", content: string}`);
      }
      return { role: msg.role as ChatMessage['role'], content: msg.content };
    });
  } else {
    throw badArgument(`${where}: give either prompt (a string) or messages (an array), not both`);
  }
  const chars = messages.reduce((n, m) => n + m.content.length, 0);
  if (chars > MAX_PROMPT_CHARS)
    throw badArgument(`${where}: the prompt has ${chars} characters; the limit is ${MAX_PROMPT_CHARS}`);
  const maxTokens = req.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_TOKENS) {
    throw badArgument(`${where}: maxTokens must be an integer from 1 to ${MAX_TOKENS}`);
  }
  const temperature = req.temperature ?? 0;
  if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2))
    throw badArgument(`${where}: temperature must be a number from 0 to 2`);
  return { messages, maxTokens, temperature };
}

function backendError(message: string, cause?: unknown): CortenError {
  return new CortenError('HOST_BACKEND_FAILED', message, { cause });
}

/**
 * The chat completions endpoint of a base URL. Servers document their base
 * URL both ways (llama.cpp without `/v1`, Ollama and vLLM with it), so a
 * trailing `/v1` is the API version, not a path prefix to repeat.
 */
export function chatCompletionsUrl(baseUrl: string): string {
  const root = baseUrl.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${root}/v1/chat/completions`;
}

/** A client of one OpenAI-compatible backend. */
export class LlmClient {
  private readonly url: string;

  constructor(readonly config: LlmBackendConfig) {
    this.url = chatCompletionsUrl(config.baseUrl);
  }

  /** Asks for one completion; throws a CortenError naming the backend's failure. */
  async complete(request: unknown, signal?: AbortSignal): Promise<Completion> {
    const { messages, maxTokens, temperature } = parseCompletionRequest(request);
    const timeout = AbortSignal.timeout(this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.config.apiKey !== undefined) headers.authorization = `Bearer ${this.config.apiKey}`;
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: this.config.model, messages, max_tokens: maxTokens, temperature }),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (cause) {
      const why = timeout.aborted
        ? `no answer within ${this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
        : (cause as Error).message;
      throw backendError(`llm backend ${this.url} could not be reached: ${why}`, cause);
    }
    const body = await response.text().catch(() => '');
    if (!response.ok) {
      throw backendError(
        `llm backend ${this.url} answered HTTP ${response.status}: ${body.slice(0, 300) || response.statusText}`,
      );
    }
    let parsed: {
      choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
      usage?: Record<string, unknown>;
    };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch (cause) {
      throw backendError(
        `llm backend ${this.url} answered with something that is not JSON: ${body.slice(0, 100)}`,
        cause,
      );
    }
    const choice = parsed.choices?.[0];
    if (typeof choice?.message?.content !== 'string') {
      throw backendError(`llm backend ${this.url} answered without choices[0].message.content`);
    }
    const usage = parsed.usage;
    return {
      text: choice.message.content,
      finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
      usage:
        typeof usage?.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number'
          ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
          : null,
    };
  }
}
