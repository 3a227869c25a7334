/**
 * The OpenAI-compatible endpoint: `POST /v1/chat/completions`,
 * `POST /v1/completions`, `GET /v1/models` and `GET /v1/models/:id`, in
 * OpenAI's shapes, so that code written for the OpenAI client runs on corten
 * by changing its base URL and key.
 *
 * A request is one ordinary task of the model's EU, paid from the caller's
 * account and verified like any other (semantically, for llm-chat); the
 * request waits for the verdict and answers with the accepted output, never
 * with one operator's unchecked reply. Every answer names its task in the
 * `x-corten-task-id` header and in the body's `corten` field, with a link
 * to the task's receipt.
 *
 * Streaming (`stream: true`) cannot show tokens as an operator writes them:
 * nothing is known to be right before the verdict. The stream opens at once
 * with the task id, sends SSE comments while replicas run and agree, then
 * sends the accepted text as `chat.completion.chunk` events, a usage chunk
 * (always, as OpenAI sends with `stream_options.include_usage`), and
 * `data: [DONE]`.
 *
 * Errors are OpenAI's error object `{ error: { message, type, param, code } }`
 * with corten's stable codes: 401 no valid key, 402 INSUFFICIENT_BALANCE,
 * 404 unknown model, 429 over the per-key rate limit, 503 too few capable
 * operators online to verify an answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { coerceError, CortenError, type EuView, type TaskView } from '../../protocol/index.js';
import { asCortenError } from './errors.js';
import {
  answerOf,
  chatInput,
  ChatCompletionRequest,
  completionInput,
  CompletionRequest,
  contextProblem,
  isChatModel,
  modelObject,
  streamPieces,
  type Answer,
  type ChatInput,
} from './openai-shapes.js';
import type { CoordinatorOperations } from './operations.js';
import { RateLimiter } from './rate-limiter.js';
import { TaskOutcomes } from './task-outcomes.js';
import { parseOrThrow } from './validation.js';

export type OpenAiOperations = Pick<
  CoordinatorOperations,
  'bus' | 'accounts' | 'viewer' | 'listEus' | 'getEu' | 'submitTasks' | 'getTask' | 'capableOperators'
>;

export interface OpenAiOptions {
  /** Requests a minute a caller may make here (config `openaiRequestsPerMinute`); 0: no limit. */
  requestsPerMinute: number;
  /** Whether a request without a key may use the endpoint (config `allowAnonymous`). */
  allowAnonymous: boolean;
}

/**
 * SSE comment interval while a streamed answer is being verified: under the 30 s to 60 s after which proxies and
 * load balancers commonly drop an idle connection.
 */
const KEEP_ALIVE_MS = 10_000;
/** Largest request body here: 64 messages of 100,000 characters, escaped, fit. */
const BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** OpenAI's `type` of an error, by HTTP status. */
const TYPE_OF_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  503: 'service_unavailable',
};

/** Codes whose status differs here from the rest of the API (OpenAI clients switch on the status). */
const STATUS_HERE: Partial<Record<string, number>> = {
  INSUFFICIENT_BALANCE: 402,
  INPUT_SCHEMA_MISMATCH: 400,
  VALIDATION_FAILED: 400,
  ANONYMOUS_DISABLED: 401,
};

/** Task failures the input caused (not retried by clients); the rest are the network's (502, retried). */
const INPUT_FAILURES = new Set(['eu_error', 'eu_resource_exceeded']);

/** An error as OpenAI shapes it: `param` names the offending request field, `corten` the task when there is one. */
class OpenAiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly extra: { headers?: Record<string, string>; corten?: Record<string, unknown> } = {},
  ) {
    super(message);
  }

  static from(thrown: unknown): OpenAiError {
    if (thrown instanceof OpenAiError) return thrown;
    const error = thrown instanceof CortenError ? thrown : asCortenError(thrown);
    const issues = (error.details as { issues?: { path: string }[] } | undefined)?.issues;
    const param = issues?.[0]?.path.replace(/^body\./, '') ?? null;
    return new OpenAiError(STATUS_HERE[error.code] ?? error.status, error.code, error.message, param);
  }

  body(): Record<string, unknown> {
    const type = TYPE_OF_STATUS[this.status] ?? (this.status >= 500 ? 'server_error' : 'invalid_request_error');
    const body: Record<string, unknown> = {
      error: { message: this.message, type, param: this.param, code: this.code },
    };
    if (this.extra.corten) body.corten = this.extra.corten;
    return body;
  }
}

export function openaiRoutes(app: FastifyInstance, coordinator: OpenAiOperations, options: OpenAiOptions): void {
  const limiter = new RateLimiter(options.requestsPerMinute);
  const outcomes = new TaskOutcomes(coordinator.bus);

  app.setErrorHandler((thrown, request, reply) => {
    const error = OpenAiError.from(thrown);
    if (error.status >= 500 && !(thrown instanceof OpenAiError)) request.log.error({ err: thrown }, 'request failed');
    void reply
      .status(error.status)
      .headers(error.extra.headers ?? {})
      .send(error.body());
  });

  /** Authenticates and spends one request of the caller's rate; returns the caller's Authorization header. */
  async function admit(request: FastifyRequest): Promise<string | undefined> {
    const authorization = request.headers.authorization;
    const caller = await coordinator.accounts.identify(authorization);
    if (caller.kind === 'anonymous' && !options.allowAnonymous) {
      throw new CortenError(
        'UNAUTHORIZED',
        'send your account API key as the bearer token (new OpenAI({ apiKey: "ck_…", baseURL: "<coordinator>/v1" }))',
      );
    }
    const key =
      caller.kind === 'account' ? caller.accountId : caller.kind === 'admin' ? 'admin' : `anonymous:${request.ip}`;
    const decision = limiter.take(key);
    if (!decision.allowed) {
      throw new OpenAiError(
        429,
        'RATE_LIMITED',
        `more than ${options.requestsPerMinute} requests a minute from this key; retry in ${decision.retryAfterS} s`,
        null,
        { headers: { 'retry-after': String(decision.retryAfterS) } },
      );
    }
    return authorization;
  }

  /** The model's EU: a chat model by name, `name@version` or EU id; 404 for anything else. */
  function model(ref: string): EuView {
    let eu: EuView;
    try {
      eu = coordinator.getEu(ref);
    } catch (error) {
      if (coerceError(error).code !== 'EU_NOT_FOUND') throw error;
      throw new OpenAiError(
        404,
        'EU_NOT_FOUND',
        `the model '${ref}' does not exist: GET /v1/models lists them`,
        'model',
      );
    }
    if (!isChatModel(eu)) {
      throw new OpenAiError(
        404,
        'EU_NOT_FOUND',
        `'${ref}' is an EU but not a model: a model needs llm.complete and takes { messages } (GET /v1/models lists them)`,
        'model',
      );
    }
    return eu;
  }

  /** Every chat model, each name at its latest version. */
  function models(): EuView[] {
    const names = [...new Set(coordinator.listEus().map((e) => e.name))].sort();
    return names.map((name) => coordinator.getEu(name)).filter(isChatModel);
  }

  app.get('/v1/models', async (request) => {
    await admit(request);
    return { object: 'list', data: models().map((eu) => modelObject(eu, coordinator.capableOperators(eu.id))) };
  });

  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => {
    await admit(request);
    const eu = model(request.params.id);
    return modelObject(eu, coordinator.capableOperators(eu.id));
  });

  /** Submits the task of one request after every check that can refuse it; returns its id. */
  async function submit(eu: EuView, input: ChatInput, authorization: string | undefined): Promise<string> {
    const problem = contextProblem(input, eu.manifest.contextLength);
    if (problem) throw new OpenAiError(400, 'VALIDATION_FAILED', problem, 'messages');
    const capable = coordinator.capableOperators(eu.id);
    const needed = eu.manifest.verification.quorum;
    if (capable < needed) {
      throw new OpenAiError(
        503,
        'CAPABILITY_UNAVAILABLE',
        `${eu.manifest.name} needs ${needed} operators that can run it to verify an answer; ${capable} ${capable === 1 ? 'is' : 'are'} online. Retry later`,
        null,
        { headers: { 'retry-after': '5' } },
      );
    }
    const { taskIds } = await coordinator.submitTasks({ eu: eu.id, inputs: [input] }, authorization);
    return taskIds[0]!;
  }

  /** Waits for the task's verdict and reads the answer; a failed task becomes an error naming it. */
  async function settle(
    taskId: string,
    input: ChatInput,
    request: FastifyRequest,
    signal: AbortSignal,
  ): Promise<Answer> {
    const viewer = await coordinator.viewer(request.headers.authorization);
    const read = (): Promise<TaskView> => coordinator.getTask(taskId, viewer);
    const ended = (task: TaskView) => task.status === 'verified' || task.status === 'failed';
    await outcomes.wait(taskId, async () => ended(await read()), signal);
    const task = await read();
    const receiptUrl = `${request.protocol}://${request.host}/v1/tasks/${taskId}/receipt`;
    if (task.status === 'verified') return answerOf(task, input, receiptUrl);
    const reason = task.failure?.reason ?? 'unverifiable';
    throw new OpenAiError(
      INPUT_FAILURES.has(reason) ? 422 : 502,
      reason.toUpperCase(),
      `task ${taskId} ended without a verified answer (${reason}): ${task.failure?.message ?? ''}`.trim(),
      null,
      {
        headers: { 'x-corten-task-id': taskId },
        corten: { task_id: taskId, receipt_url: receiptUrl, failure: task.failure },
      },
    );
  }

  /** One request of either route: checks, submission, then the answer whole or streamed. */
  async function serve(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: 'chat' | 'text',
    body: { model: string; stream?: boolean | null },
    input: ChatInput,
  ): Promise<unknown> {
    const eu = model(body.model);
    const taskId = await submit(eu, input, request.headers.authorization);
    const gone = new AbortController();
    reply.raw.on('close', () => gone.abort(new Error('the client closed the connection')));
    const frame = {
      id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${taskId}`,
      created: nowS(),
      model: eu.manifest.name,
    };
    if (body.stream === true) {
      reply.hijack();
      await stream(reply.raw, kind, frame, taskId, () => settle(taskId, input, request, gone.signal));
      return reply;
    }
    const answer = await settle(taskId, input, request, gone.signal);
    void reply.header('x-corten-task-id', taskId);
    return kind === 'chat' ? chatCompletion(frame, answer) : textCompletion(frame, answer);
  }

  app.post('/v1/chat/completions', { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    const body = parseOrThrow(ChatCompletionRequest, request.body, 'body');
    await admit(request);
    return serve(request, reply, 'chat', body, chatInput(body));
  });

  app.post('/v1/completions', { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    const body = parseOrThrow(CompletionRequest, request.body, 'body');
    await admit(request);
    return serve(request, reply, 'text', body, completionInput(body));
  });
}

interface Frame {
  id: string;
  created: number;
  model: string;
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

function chatCompletion(frame: Frame, answer: Answer): Record<string, unknown> {
  return {
    ...frame,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.text, refusal: null },
        finish_reason: answer.finishReason,
        logprobs: null,
      },
    ],
    usage: answer.usage,
    corten: answer.corten,
  };
}

function textCompletion(frame: Frame, answer: Answer): Record<string, unknown> {
  return {
    ...frame,
    object: 'text_completion',
    choices: [{ index: 0, text: answer.text, finish_reason: answer.finishReason, logprobs: null }],
    usage: answer.usage,
    corten: answer.corten,
  };
}

/**
 * The streamed answer: headers and a first comment at once, a comment every KEEP_ALIVE_MS while the task is
 * verified, then the accepted text in chunks, the usage chunk and `[DONE]`; or, when the task fails, an error
 * event (OpenAI's clients throw it) and the end of the stream.
 */
async function stream(
  res: ServerResponse,
  kind: 'chat' | 'text',
  frame: Frame,
  taskId: string,
  settle: () => Promise<Answer>,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-corten-task-id': taskId,
  });
  res.write(`: corten task ${taskId} submitted; the answer streams once its replicas agree on it\n\n`);
  const keepAlive = setInterval(() => res.write(': verifying\n\n'), KEEP_ALIVE_MS);
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  try {
    const answer = await settle();
    clearInterval(keepAlive);
    if (res.destroyed) return;
    const choice = (text: string | null, finish: string | null, first = false) =>
      kind === 'chat'
        ? {
            index: 0,
            delta: text === null ? {} : first ? { role: 'assistant', content: text } : { content: text },
            finish_reason: finish,
            logprobs: null,
          }
        : { index: 0, text: text ?? '', finish_reason: finish, logprobs: null };
    const pieces = streamPieces(answer.text);
    pieces.forEach((piece, i) => send({ ...frame, object, choices: [choice(piece, null, i === 0)] }));
    send({ ...frame, object, choices: [choice(null, answer.finishReason)] });
    send({ ...frame, object, choices: [], usage: answer.usage, corten: answer.corten });
    res.write('data: [DONE]\n\n');
  } catch (thrown) {
    clearInterval(keepAlive);
    if (!res.destroyed) send(OpenAiError.from(thrown).body());
  } finally {
    res.end();
  }
}
