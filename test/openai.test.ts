/**
 * The OpenAI-compatible endpoint, driven by the official `openai` client
 * against a real coordinator and three real operator processes. Each
 * operator's `llm.complete` is an OpenAI-compatible server started here: two
 * honest ones word the same answer differently, the third lies (another
 * height, another city: the same words with other facts). Every answer the
 * endpoint gives, whole or streamed, chat or legacy completion, is an
 * honest wording, the liar dissents, and each answer names its task and
 * receipt. The errors come in OpenAI's error object with their statuses.
 */
import fc from 'fast-check';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CortenClient } from '../src/client/index.js';
import type { TaskView } from '../src/protocol/index.js';
import { LocalNetwork } from '../src/sim/index.js';
import { loadEuFolder } from '../src/runtime/index.js';
import { builtinEuDirs } from '../src/eus/index.js';
import { tempDir } from './helpers/temp.js';
import { startFakeLlm, type ChatRequest, type FakeLlm } from './runtime/support.js';

const HONEST = [
  'The Eiffel Tower is 330 metres tall and stands on the Champ de Mars in Paris.',
  'Standing on the Champ de Mars in Paris, the Eiffel Tower is 330 metres tall.',
];
const LIE = 'The Eiffel Tower is 120 metres tall and stands on the Champ de Mars in Berlin.';
const QUESTION = 'How tall is the Eiffel Tower, and where is it?';
/** A question the backends answer only when the test releases them. */
const HOLD = 'Take your time: how tall is the Eiffel Tower?';
const held: (() => void)[] = [];
let holding = true;
/** A question on which each backend answers something else: no two replicas agree. */
const SPLIT = 'Tell me something, anything.';
const OFF_TOPIC = [
  'The tower was painted red by its builders in 1889.',
  'Bananas are an excellent source of potassium for athletes.',
  'Mount Everest is the highest mountain above sea level.',
];
/** The coordinator's per-key limit here: above what the main account spends, low enough to reach in a loop. */
const RATE = 30;

let dir: ReturnType<typeof tempDir>;
let network: LocalNetwork;
let servers: FakeLlm[];
let admin: CortenClient;
let openai: OpenAI;
let apiKey: string;
let accountId: string;
let liarId: string;
let failed = false;

function client(key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${network.url}/v1`, maxRetries: 0 });
}

/** The API error a call fails with. */
async function refusal(call: () => Promise<unknown>): Promise<APIError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof APIError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

beforeAll(async () => {
  dir = tempDir('openai');
  servers = [];
  for (const [k, content] of [...HONEST, LIE].entries()) {
    servers.push(
      await startFakeLlm((request) => {
        const asked = request.body.messages.at(-1)!.content;
        if (asked.includes(SPLIT)) return { content: OFF_TOPIC[k]! };
        if (asked.includes(HOLD) && holding) return new Promise((release) => held.push(() => release({ content })));
        return { content };
      }),
    );
  }
  // Never suspended for dissent: the liar stays in the pool, so every request here may meet it.
  network = new LocalNetwork({
    dir: dir.path,
    coordinatorArgs: ['--openai-rate-limit', String(RATE), '--suspend-after-dissents', '0'],
  });
  await network.startCoordinator();
  const operators = await network.startOperators(
    servers.map((s, k) => ({
      region: `r${k + 1}`,
      workers: 1,
      capabilities: ['llm.complete', 'embed.text'],
      args: ['--llm-url', s.baseUrl, '--llm-model', 'fake-llm'],
    })),
  );
  liarId = operators[2]!.operatorId;
  admin = network.admin();
  const account = await admin.createAccount('chat-app');
  await admin.deposit(account.id, 10_000);
  apiKey = account.apiKey;
  accountId = account.id;
  openai = client(apiKey);
});

afterAll(async () => {
  await network?.stop();
  for (const s of servers ?? []) await s.close();
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

describe('the OpenAI-compatible endpoint, with the official openai client', () => {
  it(
    'lists the chat models with price, verification policy and context length',
    track(async () => {
      const list = await openai.models.list();
      const ids = list.data.map((m) => m.id);
      expect(ids).toEqual(['llm-chat', 'text-embed']);
      const model = (await openai.models.retrieve('llm-chat')) as OpenAI.Models.Model & { corten: unknown };
      expect(model).toMatchObject({
        id: 'llm-chat',
        object: 'model',
        corten: {
          version: '1.0.0',
          price: { credits_per_execution: 20, executions_per_request: 2, credits_per_request: 40 },
          verification: { policy: 'semantic', quorum: 2, threshold: 0.3 },
          context_length: 8192,
          online_operators: 3,
        },
      });
      expect(list.data[0]).toEqual(model);
      expect(list.data[1]).toMatchObject({
        id: 'text-embed',
        corten: { kind: 'embedding', dimensions: 512, verification: { policy: 'exact' } },
      });
    }),
  );

  it(
    'answers a chat with the verified output, never the liar’s, naming its task and receipt',
    track(async () => {
      // Until the liar has run on one (the scheduler spreads replicas, so that comes within a request or two).
      const liarRan: TaskView['assignments'] = [];
      for (let i = 0; i < 6 && !liarRan.some((a) => a.dissenting); i++) {
        const { data, response } = await openai.chat.completions
          .create({
            model: 'llm-chat',
            messages: [
              { role: 'system', content: 'Answer in one sentence.' },
              { role: 'user', content: QUESTION },
            ],
          })
          .withResponse();
        const taskId = response.headers.get('x-corten-task-id')!;
        expect(data.object).toBe('chat.completion');
        expect(data.id).toBe(`chatcmpl-${taskId}`);
        expect(data.choices).toHaveLength(1);
        expect(HONEST).toContain(data.choices[0]!.message.content);
        expect(data.choices[0]!.finish_reason).toBe('stop');
        expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
        const corten = (data as unknown as { corten: { task_id: string; receipt_url: string; verdict: unknown } })
          .corten;
        expect(corten.task_id).toBe(taskId);
        expect(corten.receipt_url).toBe(`${network.url}/v1/tasks/${taskId}/receipt`);
        expect(corten.verdict).toMatchObject({ status: 'verified', quorum: 2 });

        // The answer is the task's accepted output, and its receipt is there for the key that paid.
        const task = await admin.getTask(taskId);
        expect(task.status).toBe('verified');
        expect((task.verdict!.output as { text: string }).text).toBe(data.choices[0]!.message.content);
        const receipt = await fetch(corten.receipt_url, { headers: { authorization: `Bearer ${apiKey}` } });
        expect(receipt.status).toBe(200);
        const liar = task.assignments.filter((a) => a.operatorId === liarId);
        expect(corten.verdict).toMatchObject({ dissenting: liar.filter((a) => a.dissenting).map(() => liarId) });
        liarRan.push(...liar);
      }
      // The liar ran, its answer was refused as dissent (or its lease cancelled by the verdict), never accepted.
      expect(liarRan.some((a) => a.dissenting)).toBe(true);
      for (const a of liarRan) expect(['rejected', 'cancelled']).toContain(a.status);
      // The honest operators sent their LLM the conversation as given.
      const asked = servers[0]!.requests.concat(servers[1]!.requests).find((r) => r.body.messages.length === 2)!;
      expect(asked.body.messages).toEqual([
        { role: 'system', content: 'Answer in one sentence.' },
        { role: 'user', content: QUESTION },
      ]);
    }),
  );

  it(
    'streams the verified answer as chat.completion.chunk events with usage, ending with [DONE]',
    track(async () => {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'llm-chat', messages: [{ role: 'user', content: QUESTION }], stream: true })
        .withResponse();
      const taskId = response.headers.get('x-corten-task-id')!;
      expect(taskId).toMatch(/\S/);
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      let finish: string | null = null;
      let corten: { task_id: string } | undefined;
      for await (const chunk of stream) {
        expect(chunk.object).toBe('chat.completion.chunk');
        expect(chunk.id).toBe(`chatcmpl-${taskId}`);
        for (const choice of chunk.choices) {
          text += choice.delta.content ?? '';
          finish = choice.finish_reason ?? finish;
        }
        if (chunk.usage) usage = chunk.usage;
        corten ??= (chunk as unknown as { corten?: { task_id: string } }).corten;
      }
      expect(HONEST).toContain(text);
      expect(finish).toBe('stop');
      expect(usage!.completion_tokens).toBeGreaterThan(0);
      expect(corten!.task_id).toBe(taskId);
      expect(((await admin.getTask(taskId)).verdict!.output as { text: string }).text).toBe(text);
    }),
  );

  it(
    'opens the stream at once with a comment, and ends it with data: [DONE]',
    track(async () => {
      const response = await fetch(`${network.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llm-chat', messages: [{ role: 'user', content: QUESTION }], stream: true }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const taskId = response.headers.get('x-corten-task-id')!;
      const raw = await response.text();
      expect(raw.startsWith(`: corten task ${taskId} submitted`)).toBe(true);
      expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
      const events = raw
        .split('\n\n')
        .filter((block) => block.startsWith('data: {'))
        .map((block) => JSON.parse(block.slice('data: '.length)) as { choices: unknown[]; usage?: unknown });
      expect(events.at(-1)!.choices).toEqual([]);
      expect(events.at(-1)!.usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    }),
  );

  it(
    'opens the stream while the replicas still run, and sends text only after the verdict',
    track(async () => {
      const response = await fetch(`${network.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llm-chat', messages: [{ role: 'user', content: HOLD }], stream: true }),
      });
      const taskId = response.headers.get('x-corten-task-id')!;
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      const first = decoder.decode((await reader.read()).value);
      expect(first).toMatch(/^: corten task \S+ submitted/);
      expect(first).not.toContain('chat.completion.chunk');
      // Two replicas are with their backends, held: nothing is verified, and nothing but the comment was sent.
      const asksHold = (r: ChatRequest) => r.body.messages.at(-1)!.content === HOLD;
      await Promise.any(servers.map((s) => s.nextRequestMatching(asksHold)));
      expect((await admin.getTask(taskId)).status).toBe('running');
      holding = false;
      while (held.length > 0) held.shift()!();
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += decoder.decode(value, { stream: true });
      }
      expect(rest).toContain('chat.completion.chunk');
      expect(rest.endsWith('data: [DONE]\n\n')).toBe(true);
      expect((await admin.getTask(taskId)).status).toBe('verified');
    }),
  );

  it(
    'runs a task to its verdict after its client went away, and stays up',
    track(async () => {
      const question = `${HOLD} Once more.`;
      holding = true;
      const gone = new AbortController();
      const request = fetch(`${network.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llm-chat', messages: [{ role: 'user', content: question }] }),
        signal: gone.signal,
      }).catch((error: unknown) => error);
      await Promise.any(servers.map((s) => s.nextRequestMatching((r) => r.body.messages.at(-1)!.content === question)));
      gone.abort();
      expect(await request).toBeInstanceOf(Error);
      const [running] = await admin.listTasks({ status: 'running' });
      holding = false;
      while (held.length > 0) held.shift()!();
      expect((await admin.waitForTasks([running!.id])).get(running!.id)).toBe('verified');
      expect((await openai.models.list()).data.length).toBeGreaterThan(0);
    }),
  );

  it(
    'answers a legacy completion with the verified text, whole and streamed',
    track(async () => {
      const { data, response } = await openai.completions
        .create({ model: 'llm-chat', prompt: QUESTION, max_tokens: 64 })
        .withResponse();
      const taskId = response.headers.get('x-corten-task-id')!;
      expect(data.object).toBe('text_completion');
      expect(HONEST).toContain(data.choices[0]!.text);
      expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
      expect((data as unknown as { corten: { task_id: string } }).corten.task_id).toBe(taskId);
      const sent = servers.flatMap((s) => s.requests).find((r) => r.body.max_tokens === 64)!;
      expect(sent.body.messages).toEqual([{ role: 'user', content: QUESTION }]);

      let streamed = '';
      const chunks = await openai.completions.create({ model: 'llm-chat', prompt: QUESTION, stream: true });
      for await (const chunk of chunks) {
        if (chunk.choices.length > 0) expect(chunk.object).toBe('text_completion');
        streamed += chunk.choices[0]?.text ?? '';
      }
      expect(HONEST).toContain(streamed);
    }),
  );

  it(
    'embeds texts through text-embed, verified exactly, as floats and as the client’s default base64',
    track(async () => {
      const texts = ['verified answers from independent operators', 'the Eiffel Tower stands in Paris'];
      const { data, response } = await openai.embeddings.create({ model: 'text-embed', input: texts }).withResponse();
      const taskId = response.headers.get('x-corten-task-id')!;
      const task = await admin.getTask(taskId);
      expect(task.status).toBe('verified');
      expect(task.assignments.filter((a) => a.status === 'accepted')).toHaveLength(2);
      const accepted = (task.verdict!.output as { embeddings: number[][] }).embeddings;
      expect(data.data.map((d) => d.index)).toEqual([0, 1]);
      data.data.forEach((d, i) => {
        expect(d.embedding).toHaveLength(512);
        d.embedding.forEach((x, j) => expect(x).toBeCloseTo(accepted[i]![j]!, 6));
      });
      const floats = await openai.embeddings.create({
        model: 'text-embed',
        input: texts[1]!,
        encoding_format: 'float',
      });
      expect(floats.data[0]!.embedding).toEqual(accepted[1]);
      expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
      const wrong = await refusal(() => openai.embeddings.create({ model: 'text-embed', input: 'x', dimensions: 3 }));
      expect(wrong.status).toBe(400);
      expect(wrong.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'dimensions' });
      expect((await refusal(() => openai.embeddings.create({ model: 'llm-chat', input: 'x' }))).status).toBe(404);
      const notChat = await refusal(() =>
        openai.chat.completions.create({ model: 'text-embed', messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(notChat.status).toBe(404);
    }),
  );

  it(
    'refuses in OpenAI’s error object: 401, 402, 404, 400',
    track(async () => {
      const chat = (c: OpenAI, model = 'llm-chat') =>
        c.chat.completions.create({ model, messages: [{ role: 'user', content: QUESTION }] });

      const unknownKey = await refusal(() => chat(client('ck_not-a-key')));
      expect(unknownKey.status).toBe(401);
      expect(unknownKey.error).toMatchObject({ type: 'authentication_error', code: 'UNAUTHORIZED' });
      expect((await refusal(() => client('ck_not-a-key').models.list())).status).toBe(401);

      const broke = await admin.createAccount('broke');
      const poor = await refusal(() => chat(client(broke.apiKey)));
      expect(poor.status).toBe(402);
      expect(poor.error).toMatchObject({ code: 'INSUFFICIENT_BALANCE', type: 'insufficient_quota' });
      expect((await admin.getAccount(broke.id)).balance).toBe(0);

      const missing = await refusal(() => chat(openai, 'gpt-4o'));
      expect(missing.status).toBe(404);
      expect(missing.error).toMatchObject({ code: 'EU_NOT_FOUND', param: 'model', type: 'not_found_error' });
      expect((await refusal(() => openai.models.retrieve('sentiment'))).status).toBe(404);

      const several = await refusal(() =>
        openai.chat.completions.create({ model: 'llm-chat', messages: [{ role: 'user', content: 'x' }], n: 2 }),
      );
      expect(several.status).toBe(400);
      expect(several.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'n' });
      const tooLong = await refusal(() =>
        openai.chat.completions.create({
          model: 'llm-chat',
          messages: [{ role: 'user', content: 'word '.repeat(20_000) }],
        }),
      );
      expect(tooLong.status).toBe(400);
      expect(tooLong.message).toContain('context length is 8192');
    }),
  );

  it(
    'answers a task that ends unverifiable with an error naming it, whole (502) or in the stream',
    track(async () => {
      const chat = await loadEuFolder(builtinEuDirs().find((d) => d.endsWith('llm-chat'))!);
      const verification = { ...chat.manifest.verification, maxReplicas: 2 };
      await admin.publishEu({
        manifest: { ...chat.manifest, name: 'llm-chat-strict', verification },
        files: chat.files,
      });
      const messages = [{ role: 'user' as const, content: SPLIT }];
      const balance = (await admin.getAccount(accountId)).balance;

      const whole = await refusal(() => openai.chat.completions.create({ model: 'llm-chat-strict', messages }));
      expect(whole.status).toBe(502);
      expect(whole.error).toMatchObject({ code: 'UNVERIFIABLE', type: 'server_error' });
      const taskId = whole.headers!.get('x-corten-task-id')!;
      expect((await admin.getTask(taskId)).failure).toMatchObject({ reason: 'unverifiable' });

      const stream = await openai.chat.completions.create({ model: 'llm-chat-strict', messages, stream: true });
      const streamed = await refusal(async () => {
        for await (const chunk of stream) expect(chunk.choices).toEqual([]);
      });
      expect(streamed.error).toMatchObject({ code: 'UNVERIFIABLE' });
      // Neither unverified answer was paid for.
      expect((await admin.getAccount(accountId)).balance).toBe(balance);
    }),
  );

  it(
    'answers 503 when too few operators that can run the model are online',
    track(async () => {
      const chat = await loadEuFolder(builtinEuDirs().find((d) => d.endsWith('llm-chat'))!);
      const manifest = {
        ...chat.manifest,
        name: 'llm-chat-gpu',
        requirements: { ...chat.manifest.requirements, capabilities: ['llm.complete', 'llm:big-model'] },
      };
      await admin.publishEu({ manifest, files: chat.files });
      expect((await openai.models.list()).data.map((m) => m.id)).toEqual([
        'llm-chat',
        'llm-chat-gpu',
        'llm-chat-strict',
        'text-embed',
      ]);
      const before = (await admin.stats()).tasks.submitted;
      const busy = await refusal(() =>
        openai.chat.completions.create({ model: 'llm-chat-gpu', messages: [{ role: 'user', content: QUESTION }] }),
      );
      expect(busy.status).toBe(503);
      expect(busy.error).toMatchObject({ code: 'CAPABILITY_UNAVAILABLE' });
      expect(busy.message).toContain('needs 2 operators');
      expect((await admin.stats()).tasks.submitted).toBe(before);
    }),
  );

  it(
    'limits each key to its requests a minute with 429 and retry-after',
    track(async () => {
      const other = await admin.createAccount('busy');
      const busy = client(other.apiKey);
      let allowed = 0;
      let limited: APIError | undefined;
      for (let i = 0; i < RATE * 2 && !limited; i++) {
        try {
          await busy.models.list();
          allowed += 1;
        } catch (error) {
          if (!(error instanceof APIError)) throw error;
          limited = error;
        }
      }
      expect(allowed).toBeGreaterThanOrEqual(RATE);
      expect(limited!.status).toBe(429);
      expect(limited!.error).toMatchObject({ code: 'RATE_LIMITED', type: 'rate_limit_error' });
      expect(Number(limited!.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Another key is not held back by this one.
      expect((await openai.models.list()).data.length).toBeGreaterThan(0);
    }),
  );

  it(
    'answers hostile bodies with a 4xx error object and stays up',
    track(async () => {
      const fuzzer = (await admin.createAccount('fuzz')).apiKey;
      const before = (await admin.stats()).tasks.submitted;
      const body = fc.oneof(
        fc.jsonValue({ maxDepth: 4 }),
        fc.record(
          {
            model: fc.oneof(fc.string(), fc.constant('llm-chat'), fc.integer()),
            messages: fc.oneof(
              fc.array(fc.record({ role: fc.string(), content: fc.jsonValue({ maxDepth: 2 }) }), { maxLength: 3 }),
              fc.jsonValue({ maxDepth: 2 }),
            ),
            n: fc.oneof(fc.integer(), fc.constant(null)),
            temperature: fc.oneof(fc.double(), fc.string()),
          },
          { requiredKeys: ['model'] },
        ),
      );
      await fc.assert(
        fc.asyncProperty(body, fc.constantFrom('/v1/chat/completions', '/v1/completions'), async (value, path) => {
          const response = await fetch(`${network.url}${path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${fuzzer}`, 'content-type': 'application/json' },
            body: JSON.stringify(value),
          });
          // The rate limit may answer too: still an error object, never a 5xx.
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          const error = ((await response.json()) as { error: Record<string, unknown> }).error;
          expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
        }),
        { numRuns: 200 },
      );
      expect((await admin.stats()).tasks.submitted).toBe(before);
      expect((await admin.stats()).operators.online).toBe(3);
    }),
  );
});
