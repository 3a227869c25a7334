/**
 * The OpenAI-compatible endpoint: `POST /v1/chat/completions`,
 * `POST /v1/completions`, `POST /v1/embeddings`, `GET /v1/models` and
 * `GET /v1/models/:id`, in OpenAI's shapes, so that code written for the
 * OpenAI client runs on corten by changing its base URL and key.
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
 *
 * A request's body is checked first (a malformed one costs only its parse),
 * then its key, then its caller's rate: the limit guards the costly path,
 * the tasks.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { coerceError, CortenError, type EuView, type TaskView } from '../../protocol/index.js';
import { chatCompletion, nowS, stream, textCompletion } from './openai-answers.js';
import { OpenAiError } from './openai-errors.js';
import {
  answerOf,
  chatInput,
  ChatCompletionRequest,
  completionInput,
  CompletionRequest,
  contextProblem,
  embeddingDimensions,
  EmbeddingRequest,
  embeddingsOf,
  modelKind,
  modelObject,
  type ChatInput,
  type ModelKind,
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

/** Largest request body here: 64 messages of 100,000 characters, escaped, fit. */
const BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** Task failures the input caused (not retried by clients); the rest are the network's (502, retried). */
const INPUT_FAILURES = new Set(['eu_error', 'eu_resource_exceeded']);
/** What a model of each kind takes, for the 404 of an EU that is not one. */
const KIND_NEEDS: Record<ModelKind, string> = {
  chat: 'a chat model needs llm.complete and takes { messages }',
  embedding: 'an embedding model needs embed.text and takes { input }',
};

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

  /** Authenticates the request and spends one of its caller's rate. */
  async function admit(request: FastifyRequest): Promise<void> {
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
  }

  /** The model's EU, of the kind the route serves, by name, `name@version` or EU id; 404 for anything else. */
  function model(ref: string, kind: ModelKind | null): EuView & { kind: ModelKind } {
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
    const found = modelKind(eu);
    if (found === null || (kind !== null && found !== kind)) {
      const needs = kind === null ? `${KIND_NEEDS.chat}; ${KIND_NEEDS.embedding}` : KIND_NEEDS[kind];
      throw new OpenAiError(404, 'EU_NOT_FOUND', `'${ref}' is not a model for this route: ${needs}`, 'model');
    }
    return { ...eu, kind: found };
  }

  /** Every model, each name at its latest version. */
  function models(): (EuView & { kind: ModelKind })[] {
    const names = [...new Set(coordinator.listEus().map((e) => e.name))].sort();
    return names.flatMap((name) => {
      const eu = coordinator.getEu(name);
      const kind = modelKind(eu);
      return kind === null ? [] : [{ ...eu, kind }];
    });
  }

  app.get('/v1/models', async (request) => {
    await admit(request);
    return {
      object: 'list',
      data: models().map((eu) => modelObject(eu, eu.kind, coordinator.capableOperators(eu.id))),
    };
  });

  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => {
    await admit(request);
    const eu = model(request.params.id, null);
    return modelObject(eu, eu.kind, coordinator.capableOperators(eu.id));
  });

  /** Submits the task of one request after every check that can refuse it; returns its id. */
  async function submit(eu: EuView, input: unknown, authorization: string | undefined): Promise<string> {
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

  /** Waits for the task's end and reads it: verified, or an error naming the task. */
  async function settle(
    taskId: string,
    request: FastifyRequest,
    signal: AbortSignal,
  ): Promise<{ task: TaskView; receiptUrl: string }> {
    const viewer = await coordinator.viewer(request.headers.authorization);
    const read = (): Promise<TaskView> => coordinator.getTask(taskId, viewer);
    const ended = (task: TaskView) => task.status === 'verified' || task.status === 'failed';
    await outcomes.wait(taskId, async () => ended(await read()), signal);
    const task = await read();
    const receiptUrl = `${request.protocol}://${request.host}/v1/tasks/${taskId}/receipt`;
    if (task.status === 'verified') return { task, receiptUrl };
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

  /** Ends the wait, not the task, when the client goes away. */
  function goneSignal(reply: FastifyReply): AbortSignal {
    const gone = new AbortController();
    const leave = () => gone.abort(new Error('the client closed the connection'));
    // It may have gone while the task was being submitted.
    if (reply.raw.destroyed) leave();
    else reply.raw.once('close', leave);
    return gone.signal;
  }

  /** One request of either text route: checks, submission, then the answer whole or streamed. */
  async function serve(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: 'chat' | 'text',
    body: { model: string; stream?: boolean | null },
    input: ChatInput,
  ): Promise<unknown> {
    const eu = model(body.model, 'chat');
    const problem = contextProblem(input, eu.manifest.contextLength);
    if (problem) throw new OpenAiError(400, 'VALIDATION_FAILED', problem, kind === 'chat' ? 'messages' : 'prompt');
    const taskId = await submit(eu, input, request.headers.authorization);
    const gone = goneSignal(reply);
    const frame = {
      id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${taskId}`,
      created: nowS(),
      model: eu.manifest.name,
    };
    const answer = async () => {
      const { task, receiptUrl } = await settle(taskId, request, gone);
      return answerOf(task, input, receiptUrl);
    };
    if (body.stream === true) {
      reply.hijack();
      await stream(reply.raw, kind, frame, taskId, answer);
      return reply;
    }
    const whole = await answer();
    void reply.header('x-corten-task-id', taskId);
    return kind === 'chat' ? chatCompletion(frame, whole) : textCompletion(frame, whole);
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

  app.post('/v1/embeddings', { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    const body = parseOrThrow(EmbeddingRequest, request.body, 'body');
    await admit(request);
    const eu = model(body.model, 'embedding');
    const dimensions = embeddingDimensions(eu);
    if (body.dimensions !== null && body.dimensions !== undefined && body.dimensions !== dimensions) {
      throw new OpenAiError(
        400,
        'VALIDATION_FAILED',
        `${eu.manifest.name} embeds in ${dimensions ?? 'its own number of'} dimensions, not ${body.dimensions}`,
        'dimensions',
      );
    }
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    const taskId = await submit(eu, { input: texts }, request.headers.authorization);
    const { task, receiptUrl } = await settle(taskId, request, goneSignal(reply));
    const answer = embeddingsOf(task, texts, eu.manifest.name, body.encoding_format ?? 'float', receiptUrl);
    void reply.header('x-corten-task-id', taskId);
    return answer;
  });
}
