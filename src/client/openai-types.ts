/**
 * The OpenAI-compatible endpoint's shapes as the SDK sends and reads them:
 * OpenAI's request and response objects, and the `corten` field every answer
 * carries (its task, receipt and verdict). The requests are what the
 * coordinator's routes accept (a test holds them to the routes' schemas).
 */
import type { EuManifest, TaskStatus, TaskView } from '../protocol/index.js';

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string | { type: 'text'; text: string }[];
  name?: string;
}

/** What both text routes take besides the prompt; `stream` is set by the method called. */
interface Sampling {
  model: string;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  stream_options?: { include_usage?: boolean | null } | null;
  /** Only 1: a verified answer is the one output its replicas agreed on. */
  n?: 1 | null;
  user?: string | null;
}

export interface ChatCompletionRequest extends Sampling {
  messages: ChatMessage[];
}

export interface CompletionRequest extends Sampling {
  /** One prompt (a text, or an array of one text). */
  prompt: string | string[];
  echo?: false | null;
}

export interface EmbeddingRequest {
  model: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64' | null;
  dimensions?: number | null;
  user?: string | null;
}

/** What corten adds to an answer: the task it ran as, its receipt and its verdict. */
export interface AnswerProvenance {
  task_id: string;
  eu_id: string;
  receipt_url: string;
  verdict: {
    status: TaskStatus;
    output_hash: string | null;
    quorum: number;
    replicas: number;
    agreeing: string[];
    dissenting: string[];
  };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

type FinishReason = 'stop' | 'length';

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string; refusal: null };
    finish_reason: FinishReason;
    logprobs: null;
  }[];
  usage: Usage;
  corten: AnswerProvenance;
}

/** One event of a streamed chat answer; the last one has no choices and carries `usage` and `corten`. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: 'assistant'; content?: string };
    finish_reason: FinishReason | null;
    logprobs: null;
  }[];
  usage?: Usage;
  corten?: AnswerProvenance;
}

export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: FinishReason | null; logprobs: null }[];
  usage: Usage;
  corten: AnswerProvenance;
}

/** One event of a streamed legacy completion; the last one carries `usage` and `corten`. */
export type TextCompletionChunk = Omit<TextCompletion, 'usage' | 'corten'> & {
  usage?: Usage;
  corten?: AnswerProvenance;
};

export interface EmbeddingList {
  object: 'list';
  /** Each vector as numbers, or (`encoding_format: 'base64'`) as base64 of its float32 little-endian bytes. */
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  corten: AnswerProvenance;
}

/** A model: a chat or embedding EU at its latest version. */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'corten';
  corten: {
    kind: 'chat' | 'embedding';
    eu_id: string;
    version: string;
    description: string;
    price: { credits_per_execution: number; executions_per_request: number; credits_per_request: number };
    verification: EuManifest['verification'];
    context_length: number | null;
    /** Embedding models: the vectors' length, when the EU declares it. */
    dimensions?: number | null;
    online_operators: number;
  };
}

/** A whole answer of the endpoint: its body, and the task it ran as (the `x-corten-task-id` header). */
export interface Answered<T> {
  body: T;
  taskId: string;
}

/** The failure an answer that did not verify names, in its error's `details`. */
export interface FailedAnswer {
  task_id: string;
  receipt_url: string;
  failure: TaskView['failure'];
}
