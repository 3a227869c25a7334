/**
 * OpenAI's request and response shapes, as the OpenAI-compatible routes take
 * and give them, and the translation between them and a model EU's input and
 * output.
 *
 * A chat model is an LLM EU (it needs `llm.complete`) whose input is a
 * conversation: `{ messages: [{ role, content }], maxTokens?, temperature? }`
 * and whose output is `{ text, truncated?, usage? }` (the built-in llm-chat,
 * or any developer's EU of that shape). An embedding model needs `embed.text`,
 * takes `{ input: [text] }` and returns `{ embeddings: [[number]] }` (the
 * built-in text-embed). The request's fields OpenAI defines
 * and corten cannot honour (several choices, tools) are refused by name;
 * sampling hints it has no use for are ignored, as other compatible servers
 * do.
 */
import { z } from 'zod';
import type { EuView, TaskView } from '../../protocol/index.js';

/** Longest text of one message, as llm-chat's input schema allows. */
const MAX_CONTENT_CHARS = 100_000;
/** Messages in one conversation: what the `llm.complete` capability passes on. */
const MAX_MESSAGES = 64;
/** Largest completion a request may ask for: the `llm.complete` capability's ceiling. */
const MAX_TOKENS = 8192;
/** Characters a token, roughly, for English: used only to refuse a prompt that cannot fit a context. */
const CHARS_PER_TOKEN = 4;

const TextPart = z.object({
  type: z.literal('text', { error: 'only text content parts are supported' }),
  text: z.string().max(MAX_CONTENT_CHARS),
});

const OpenAiMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant'], {
    error: 'role must be system, developer, user or assistant (tools are not supported)',
  }),
  content: z.union([z.string().max(MAX_CONTENT_CHARS), z.array(TextPart).min(1).max(MAX_MESSAGES)]),
  name: z.string().max(256).optional(),
});

/** What both routes take besides the prompt. */
const Sampling = {
  model: z.string().min(1).max(200),
  max_tokens: z.int().min(1).max(MAX_TOKENS).nullish(),
  max_completion_tokens: z.int().min(1).max(MAX_TOKENS).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, { error: 'n must be 1: a verified answer is the one output its replicas agreed on' }).nullish(),
  user: z.string().max(256).nullish(),
};

export const ChatCompletionRequest = z.object({
  ...Sampling,
  messages: z.array(OpenAiMessage).min(1).max(MAX_MESSAGES),
  tools: z.array(z.unknown()).max(0, 'tools are not supported: corten verifies text replies').nullish(),
  functions: z.array(z.unknown()).max(0, 'functions are not supported: corten verifies text replies').nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export const CompletionRequest = z.object({
  ...Sampling,
  prompt: z.union([
    z.string().min(1).max(MAX_CONTENT_CHARS),
    z
      .array(z.string().min(1).max(MAX_CONTENT_CHARS))
      .length(1, 'give one prompt: several prompts are several requests'),
  ]),
  echo: z.literal(false, { error: 'echo is not supported' }).nullish(),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

/** Texts one embeddings request may hold: what text-embed's input schema takes. */
const MAX_EMBED_INPUTS = 64;
/** Longest text to embed: the `embed.text` capability's limit. */
const MAX_EMBED_CHARS = 200_000;

export const EmbeddingRequest = z.object({
  model: z.string().min(1).max(200),
  input: z.union([
    z.string().max(MAX_EMBED_CHARS),
    z
      .array(z.string().max(MAX_EMBED_CHARS), { error: 'input is a text or an array of texts (not tokens)' })
      .min(1)
      .max(MAX_EMBED_INPUTS),
  ]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.int().min(1).max(65_536).nullish(),
  user: z.string().max(256).nullish(),
});
export type EmbeddingRequest = z.infer<typeof EmbeddingRequest>;

export interface ChatInput {
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  maxTokens?: number;
  temperature?: number;
}

/**
 * What an EU serves as, if anything: a chat model needs the LLM and takes a conversation (`{ messages }`); an
 * embedding model needs `embed.text` and takes texts (`{ input: [text] }`) and returns `{ embeddings }`.
 */
export function modelKind(eu: Pick<EuView, 'manifest'>): ModelKind | null {
  const { requirements, inputSchema } = eu.manifest;
  const properties = (inputSchema as { properties?: Record<string, unknown> }).properties;
  if (requirements.capabilities.includes('llm.complete') && properties?.messages !== undefined) return 'chat';
  if (requirements.capabilities.includes('embed.text') && properties?.input !== undefined) return 'embedding';
  return null;
}

export type ModelKind = 'chat' | 'embedding';

/** The dimensions an embedding model declares (`outputSchema.properties.dimensions.const`), if it does. */
export function embeddingDimensions(eu: Pick<EuView, 'manifest'>): number | undefined {
  const properties = (eu.manifest.outputSchema as { properties?: { dimensions?: { const?: unknown } } }).properties;
  const declared = properties?.dimensions?.const;
  return typeof declared === 'number' ? declared : undefined;
}

/** The chat EU's input for a chat request. */
export function chatInput(request: ChatCompletionRequest): ChatInput {
  return withSampling(
    request.messages.map((m) => ({
      role: m.role === 'developer' ? 'system' : m.role,
      content: typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join('\n'),
    })),
    request,
  );
}

/** The chat EU's input for a legacy completion request: the prompt as the one user message. */
export function completionInput(request: CompletionRequest): ChatInput {
  const prompt = typeof request.prompt === 'string' ? request.prompt : request.prompt[0]!;
  return withSampling([{ role: 'user', content: prompt }], request);
}

function withSampling(messages: ChatInput['messages'], request: ChatCompletionRequest | CompletionRequest): ChatInput {
  const input: ChatInput = { messages };
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== null && maxTokens !== undefined) input.maxTokens = maxTokens;
  if (request.temperature !== null && request.temperature !== undefined) input.temperature = request.temperature;
  return input;
}

/** Rough prompt tokens of an input (characters / 4). */
export function estimatedTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Why `input` cannot fit the model's context, or null when it may. */
export function contextProblem(input: ChatInput, contextLength: number | undefined): string | null {
  if (contextLength === undefined) return null;
  const prompt = estimatedTokens(input.messages.map((m) => m.content).join('\n'));
  const total = prompt + (input.maxTokens ?? 0);
  if (total <= contextLength) return null;
  return (
    `the prompt is about ${prompt} tokens` +
    (input.maxTokens ? ` and asks for ${input.maxTokens} more` : '') +
    `; the model's context length is ${contextLength} tokens. Shorten the messages or lower max_tokens`
  );
}

/** The model object: OpenAI's fields, and what corten adds under `corten`. */
export function modelObject(eu: EuView, kind: ModelKind, onlineOperators: number): Record<string, unknown> {
  const { manifest } = eu;
  return {
    id: manifest.name,
    object: 'model',
    created: Math.floor(eu.publishedAt / 1000),
    owned_by: 'corten',
    corten: {
      kind,
      eu_id: eu.id,
      version: manifest.version,
      description: manifest.description,
      price: {
        credits_per_execution: manifest.price,
        executions_per_request: manifest.verification.quorum,
        credits_per_request: manifest.price * manifest.verification.quorum,
      },
      verification: manifest.verification,
      context_length: manifest.contextLength ?? null,
      ...(kind === 'embedding' ? { dimensions: embeddingDimensions(eu) ?? null } : {}),
      online_operators: onlineOperators,
    },
  };
}

/** What a verified task answers with. */
export interface Answer {
  taskId: string;
  text: string;
  finishReason: 'stop' | 'length';
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** The body's `corten` field: the task, its receipt and its verdict. */
  corten: Record<string, unknown>;
}

/** The corten field of an answer: the task, its receipt and its verdict. */
export function cortenField(task: TaskView, receiptUrl: string): Record<string, unknown> {
  return {
    task_id: task.id,
    eu_id: task.euId,
    receipt_url: receiptUrl,
    verdict: {
      status: task.status,
      output_hash: task.verdict?.outputHash ?? null,
      quorum: task.quorum,
      replicas: task.replicas,
      agreeing: task.assignments.filter((a) => a.status === 'accepted').map((a) => a.operatorId),
      dissenting: task.assignments.filter((a) => a.dissenting).map((a) => a.operatorId),
    },
  };
}

/**
 * The embeddings response of a verified text-embed task: each vector as numbers, or as base64 of its float32
 * little-endian bytes (what OpenAI's clients ask for by default, and decode).
 */
export function embeddingsOf(
  task: TaskView,
  texts: string[],
  model: string,
  format: 'float' | 'base64',
  receiptUrl: string,
): Record<string, unknown> {
  const { embeddings } = (task.verdict?.output ?? {}) as { embeddings?: number[][] };
  const tokens = estimatedTokens(texts.join('\n'));
  return {
    object: 'list',
    data: (embeddings ?? []).map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: format === 'float' ? vector : Buffer.from(Float32Array.from(vector).buffer).toString('base64'),
    })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
    corten: cortenField(task, receiptUrl),
  };
}

/** Reads a verified task's accepted output as an answer; `receiptUrl` is the link to its receipt. */
export function answerOf(task: TaskView, input: ChatInput, receiptUrl: string): Answer {
  const output = (task.verdict?.output ?? {}) as {
    text?: unknown;
    truncated?: unknown;
    usage?: { promptTokens?: unknown; completionTokens?: unknown };
  };
  const text = typeof output.text === 'string' ? output.text : '';
  const reported = output.usage;
  const promptTokens =
    typeof reported?.promptTokens === 'number'
      ? reported.promptTokens
      : estimatedTokens(input.messages.map((m) => m.content).join('\n'));
  const completionTokens =
    typeof reported?.completionTokens === 'number' ? reported.completionTokens : estimatedTokens(text);
  return {
    taskId: task.id,
    text,
    finishReason: output.truncated === true ? 'length' : 'stop',
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
    corten: cortenField(task, receiptUrl),
  };
}

/** Pieces of an answer's text for streaming: a few words each, whitespace kept, so the pieces join to the text. */
export function streamPieces(text: string, wordsPerPiece = 4): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerPiece) pieces.push(words.slice(i, i + wordsPerPiece).join(''));
  return pieces;
}
