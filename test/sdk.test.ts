/**
 * The SDK against a live coordinator: one coordinator with the built-in EUs,
 * two operators whose `llm.complete` is an OpenAI-compatible server started
 * here. Each method the SDK adds for a route is called and its answer parsed
 * with the route's response schema (protocol/api-views.ts), or, for OpenAI's
 * shapes, with a strict schema here that is held to the SDK's type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CortenClient,
  SDK_OPERATIONS,
  type AnswerProvenance,
  type ChatCompletion,
  type ChatCompletionChunk,
  type EmbeddingList,
  type ModelObject,
  type TextCompletion,
  type TextCompletionChunk,
} from '../src/client/index.js';
import {
  BalancesViewSchema,
  EuManifest,
  HealthSchema,
  OperatorHistorySchema,
  OperatorViewSchema,
  Receipt,
  RegionListSchema,
  StakeDetailSchema,
  TASK_STATUSES,
} from '../src/protocol/index.js';
import { LocalNetwork, type OperatorProcess } from '../src/sim/index.js';
import { tempDir } from './helpers/temp.js';
import type { Holds, Same } from './helpers/type-checks.js';
import { startFakeLlm, type FakeLlm } from './runtime/support.js';

const ANSWER = 'The Eiffel Tower is 330 metres tall and stands on the Champ de Mars in Paris.';

// ---- OpenAI's shapes as strict schemas, each held to the SDK's type -----------------------------------------------

const Usage = z.strictObject({ prompt_tokens: z.int(), completion_tokens: z.int(), total_tokens: z.int() });
const Provenance = z.strictObject({
  task_id: z.string(),
  eu_id: z.string(),
  receipt_url: z.string(),
  verdict: z.strictObject({
    status: z.enum(TASK_STATUSES),
    output_hash: z.string().nullable(),
    quorum: z.int(),
    replicas: z.int(),
    agreeing: z.array(z.string()),
    dissenting: z.array(z.string()),
  }),
});
const Finish = z.enum(['stop', 'length']);
const Frame = { id: z.string(), created: z.int(), model: z.string() };
const ChatCompletionSchema = z.strictObject({
  ...Frame,
  object: z.literal('chat.completion'),
  choices: z.array(
    z.strictObject({
      index: z.int(),
      message: z.strictObject({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      finish_reason: Finish,
      logprobs: z.null(),
    }),
  ),
  usage: Usage,
  corten: Provenance,
});
const ChatChunkSchema = z.strictObject({
  ...Frame,
  object: z.literal('chat.completion.chunk'),
  choices: z.array(
    z.strictObject({
      index: z.int(),
      delta: z.strictObject({ role: z.literal('assistant').optional(), content: z.string().optional() }),
      finish_reason: Finish.nullable(),
      logprobs: z.null(),
    }),
  ),
  usage: Usage.optional(),
  corten: Provenance.optional(),
});
const TextChoice = z.strictObject({
  index: z.int(),
  text: z.string(),
  finish_reason: Finish.nullable(),
  logprobs: z.null(),
});
const TextCompletionSchema = z.strictObject({
  ...Frame,
  object: z.literal('text_completion'),
  choices: z.array(TextChoice),
  usage: Usage,
  corten: Provenance,
});
const TextChunkSchema = TextCompletionSchema.extend({ usage: Usage.optional(), corten: Provenance.optional() });
const EmbeddingListSchema = z.strictObject({
  object: z.literal('list'),
  data: z.array(
    z.strictObject({
      object: z.literal('embedding'),
      index: z.int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.strictObject({ prompt_tokens: z.int(), total_tokens: z.int() }),
  corten: Provenance,
});
const ModelSchema = z.strictObject({
  id: z.string(),
  object: z.literal('model'),
  created: z.int(),
  owned_by: z.literal('corten'),
  corten: z.strictObject({
    kind: z.enum(['chat', 'embedding']),
    eu_id: z.string(),
    version: z.string(),
    description: z.string(),
    price: z.strictObject({
      credits_per_execution: z.number(),
      executions_per_request: z.int(),
      credits_per_request: z.number(),
    }),
    verification: EuManifest.shape.verification.unwrap(),
    context_length: z.int().nullable(),
    dimensions: z.int().nullable().optional(),
    online_operators: z.int(),
  }),
});

export type ShapesMatch = [
  Holds<Same<z.infer<typeof Provenance>, AnswerProvenance>>,
  Holds<Same<z.infer<typeof ChatCompletionSchema>, ChatCompletion>>,
  Holds<Same<z.infer<typeof ChatChunkSchema>, ChatCompletionChunk>>,
  Holds<Same<z.infer<typeof TextCompletionSchema>, TextCompletion>>,
  Holds<Same<z.infer<typeof TextChunkSchema>, TextCompletionChunk>>,
  Holds<Same<z.infer<typeof EmbeddingListSchema>, EmbeddingList>>,
  Holds<Same<z.infer<typeof ModelSchema>, ModelObject>>,
];

// ---- the network ----------------------------------------------------------------------------------------------------

let dir: ReturnType<typeof tempDir>;
let network: LocalNetwork;
const servers: FakeLlm[] = [];
let operators: OperatorProcess[];
let admin: CortenClient;
let developer: CortenClient;
let failed = false;

beforeAll(async () => {
  dir = tempDir('sdk');
  for (let k = 0; k < 2; k++) servers.push(await startFakeLlm(() => ({ content: ANSWER })));
  network = new LocalNetwork({ dir: dir.path });
  await network.startCoordinator();
  operators = await network.startOperators(
    servers.map((s, k) => ({
      region: `r${k + 1}`,
      workers: 1,
      capabilities: ['llm.complete', 'embed.text'],
      args: ['--llm-url', s.baseUrl, '--llm-model', 'fake-llm'],
    })),
  );
  admin = network.admin();
  const account = await admin.createAccount('sdk-app');
  await admin.deposit(account.id, 10_000);
  developer = new CortenClient(network.url, { apiKey: account.apiKey, adminToken: '' });
});

afterAll(async () => {
  await network?.stop();
  for (const s of servers) await s.close();
  if (failed) process.stderr.write(`network log: ${network.logPath}\n`);
  dir?.cleanup(failed);
});

/** Keeps the folder and its logs when a test fails. */
function track(fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (error) {
      failed = true;
      throw error;
    }
  };
}

/** Checks an answer's provenance: its task, verified, with a receipt the developer may read. */
async function checkProvenance(corten: AnswerProvenance | undefined, taskId: string): Promise<void> {
  expect(taskId).toMatch(/^t_/);
  expect(corten).toMatchObject({ task_id: taskId, receipt_url: `${network.url}/v1/tasks/${taskId}/receipt` });
  expect(corten!.verdict).toMatchObject({ status: 'verified', quorum: 2 });
  const receipt = Receipt.parse(await developer.getReceipt(taskId));
  expect(receipt.taskId).toBe(taskId);
}

describe('the SDK against a live coordinator', () => {
  it(
    'reads the network: health, an operator, its stake, regions, balances, metrics',
    track(async () => {
      const health = HealthSchema.parse(await developer.health());
      expect(health.ok).toBe(true);
      const operator = OperatorViewSchema.parse(await developer.getOperator(operators[0]!.operatorId));
      expect(operator).toMatchObject({ id: operators[0]!.operatorId, region: 'r1', connected: true });
      await expect(developer.getOperator('op_00000000000000000000')).rejects.toMatchObject({
        code: 'OPERATOR_NOT_FOUND',
      });
      const history = OperatorHistorySchema.parse(await developer.operatorHistory(operator.id));
      expect(history.operatorId).toBe(operator.id);
      expect(await developer.operatorHistory(operator.id, { since: Date.now() + 3_600_000 })).toEqual({
        operatorId: operator.id,
        samples: [],
      });
      await expect(developer.operatorHistory('op_00000000000000000000')).rejects.toMatchObject({
        code: 'OPERATOR_NOT_FOUND',
      });
      await expect(developer.operatorHistory(operator.id, { limit: 1441 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      StakeDetailSchema.parse(await developer.getStake(operator.id));
      const regions = RegionListSchema.parse({ regions: await developer.listRegions() }).regions;
      expect(regions.map((r) => r.region).sort()).toEqual(['r1', 'r2']);
      BalancesViewSchema.parse(await admin.ledgerBalances());
      await expect(developer.ledgerBalances()).rejects.toMatchObject({ httpStatus: 401 });
      const metrics = await developer.metrics();
      expect(metrics).toMatch(/^# HELP /m);
    }),
  );

  it(
    'reads its own description: the OpenAPI document names only operations the SDK has, and the reference page',
    track(async () => {
      const document = await developer.openApi();
      expect(document.openapi).toMatch(/^3\.1/);
      const operationIds = Object.values(document.paths).flatMap((path) =>
        Object.values(path).flatMap((operation) => (operation.operationId ? [operation.operationId] : [])),
      );
      expect(operationIds.length).toBeGreaterThan(30);
      expect(operationIds.filter((id) => !Object.hasOwn(SDK_OPERATIONS, id))).toEqual([]);
      expect(await developer.referencePage()).toContain('swagger-ui');
      const css = await developer.referenceAsset('swagger-ui.css');
      expect(css.contentType).toMatch(/^text\/css/);
      expect(css.body.byteLength).toBeGreaterThan(1000);
      await expect(developer.referenceAsset('../package.json')).rejects.toMatchObject({ httpStatus: 404 });
    }),
  );

  it(
    'lists the models and shows one; an unknown model is EU_NOT_FOUND',
    track(async () => {
      const models = z.array(ModelSchema).parse(await developer.listModels());
      expect(models.map((m) => m.id)).toEqual(['llm-chat', 'text-embed']);
      const chat = ModelSchema.parse(await developer.getModel('llm-chat'));
      expect(chat).toEqual(models[0]);
      expect(chat.corten).toMatchObject({ kind: 'chat', context_length: 8192, online_operators: 2 });
      await expect(developer.getModel('no-such-model')).rejects.toMatchObject({
        code: 'EU_NOT_FOUND',
        httpStatus: 404,
      });
    }),
  );

  it(
    'answers a chat whole and streamed, with the task id of each',
    track(async () => {
      const messages = [{ role: 'user' as const, content: 'How tall is the Eiffel Tower?' }];
      const whole = await developer.createChatCompletion({ model: 'llm-chat', messages });
      const body = ChatCompletionSchema.parse(whole.body);
      expect(body.choices[0]!.message.content).toBe(ANSWER);
      expect(body.id).toBe(`chatcmpl-${whole.taskId}`);
      await checkProvenance(body.corten, whole.taskId);

      const streamed = await developer.streamChatCompletion({ model: 'llm-chat', messages });
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of streamed) chunks.push(ChatChunkSchema.parse(chunk));
      expect(streamed.taskId).not.toBe(whole.taskId);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(ANSWER);
      expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
      await checkProvenance(last.corten, streamed.taskId);

      // Refusals come before the stream opens, with corten's codes.
      await expect(developer.streamChatCompletion({ model: 'no-such-model', messages })).rejects.toMatchObject({
        code: 'EU_NOT_FOUND',
      });
      const anonymous = new CortenClient(network.url, { adminToken: '', apiKey: '' });
      await expect(anonymous.createChatCompletion({ model: 'llm-chat', messages })).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
        httpStatus: 401,
      });
      const broke = await admin.createAccount('broke');
      const poor = new CortenClient(network.url, { apiKey: broke.apiKey, adminToken: '' });
      await expect(poor.createChatCompletion({ model: 'llm-chat', messages })).rejects.toMatchObject({
        code: 'INSUFFICIENT_BALANCE',
        httpStatus: 402,
      });
    }),
  );

  it(
    'answers a legacy completion whole and streamed, and embeddings',
    track(async () => {
      const whole = await developer.createCompletion({ model: 'llm-chat', prompt: 'How tall is the Eiffel Tower?' });
      const body = TextCompletionSchema.parse(whole.body);
      expect(body.choices[0]!.text).toBe(ANSWER);
      await checkProvenance(body.corten, whole.taskId);

      const streamed = await developer.streamCompletion({ model: 'llm-chat', prompt: 'And where is it?' });
      const chunks: TextCompletionChunk[] = [];
      for await (const chunk of streamed) chunks.push(TextChunkSchema.parse(chunk));
      expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe(ANSWER);
      await checkProvenance(chunks.at(-1)!.corten, streamed.taskId);

      const embedded = await developer.createEmbedding({ model: 'text-embed', input: ['one text', 'another'] });
      const list = EmbeddingListSchema.parse(embedded.body);
      expect(list.data.map((d) => d.index)).toEqual([0, 1]);
      expect(list.data[0]!.embedding).toHaveLength(512);
      await checkProvenance(list.corten, embedded.taskId);
    }),
  );
});
