/**
 * The OpenAI-compatible endpoint's pure parts, in process: the per-key token
 * bucket (fake clock), waiting for a task's end on the event bus, the
 * scheduler's count of capable operators, and the translation between
 * OpenAI's shapes and a chat EU's input and output.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/coordinator/api/rate-limiter.js';
import { TaskOutcomes } from '../../src/coordinator/api/task-outcomes.js';
import {
  answerOf,
  ChatCompletionRequest,
  chatInput,
  CompletionRequest,
  completionInput,
  contextProblem,
  modelKind,
  streamPieces,
} from '../../src/coordinator/api/openai-shapes.js';
import { EventBus } from '../../src/coordinator/engine/event-bus.js';
import { Scheduler } from '../../src/coordinator/scheduling/scheduler.js';
import type { EuState, OperatorState } from '../../src/coordinator/memory/state.js';
import { EuManifest, type CortenEvent, type TaskView } from '../../src/protocol/index.js';

describe('RateLimiter', () => {
  it('allows a burst of perMinute, then refuses with the seconds until the next request, and refills', () => {
    let now = 0;
    const limiter = new RateLimiter(6, () => now);
    for (let i = 0; i < 6; i++) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterS: 10 });
    expect(limiter.take('b').allowed).toBe(true);
    now += 9_999;
    expect(limiter.take('a').allowed).toBe(false);
    now += 1;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    now += 3_600_000;
    for (let i = 0; i < 6; i++) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('allows everything at 0', () => {
    const limiter = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('drops refilled buckets once the table is full, so keys seen once do not pile up', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 10_000; i++) limiter.take(`k${i}`);
    expect(limiter.size).toBe(10_000);
    now += 60_000;
    limiter.take('late');
    expect(limiter.size).toBe(1);
  });
});

function event(seq: number, type: CortenEvent['type'], taskId: string): CortenEvent {
  return { seq, type, ts: 0, taskId, operatorId: null, owner: null, data: {} as never };
}

describe('TaskOutcomes', () => {
  it('wakes the waiters of a task on its task.verified or task.failed event, not on others', async () => {
    const bus = new EventBus();
    const outcomes = new TaskOutcomes(bus);
    const woken: string[] = [];
    const a = outcomes.wait('t1', async () => false).then(() => woken.push('t1'));
    const b = outcomes.wait('t2', async () => false).then(() => woken.push('t2'));
    await Promise.resolve();
    bus.publish([event(1, 'task.assigned', 't1'), event(2, 'task.failed', 't2')]);
    await b;
    expect(woken).toEqual(['t2']);
    bus.publish([event(3, 'task.verified', 't1')]);
    await a;
    expect(woken).toEqual(['t2', 't1']);
    expect(outcomes.waiting).toBe(0);
  });

  it('resolves at once for a task that ended before the waiter, and forgets a waiter whose caller left', async () => {
    const outcomes = new TaskOutcomes(new EventBus());
    await outcomes.wait('done', async () => true);
    const gone = new AbortController();
    const pending = outcomes.wait('slow', async () => false, gone.signal);
    expect(outcomes.waiting).toBe(1);
    gone.abort(new Error('left'));
    await expect(pending).rejects.toThrow('left');
    expect(outcomes.waiting).toBe(0);
  });
});

const CHAT_MANIFEST = EuManifest.parse({
  name: 'chat',
  version: '1.0.0',
  requirements: { capabilities: ['llm.complete'] },
  inputSchema: { type: 'object', properties: { messages: { type: 'array' } } },
  contextLength: 100,
});

describe('capable operators', () => {
  const eu: EuState = {
    id: 'eu_chat',
    manifest: CHAT_MANIFEST,
    files: {},
    publishedAt: 0,
    owner: 'network',
    checkInput: () => null,
  };
  const op = (id: string, extra: Partial<OperatorState> = {}): OperatorState => ({
    id,
    publicKey: '',
    region: 'r1',
    resources: { cpu: 4, memoryMb: 8192, gpuMemoryMb: 0, capabilities: ['llm.complete'], eus: [] },
    maxConcurrent: 2,
    slots: 2,
    status: 'online',
    statusReason: null,
    conn: { connectionId: 1, send: () => {}, close: () => {} },
    active: new Set(),
    sentEus: new Set(),
    firstSeenAt: 0,
    lastSeenAt: 0,
    reconnectDeadline: null,
    lastAssignedAt: 0,
    freeSince: 0,
    ...extra,
  });

  it('counts connected, qualified operators that meet the requirements outside down regions, busy or not', () => {
    const scheduler = new Scheduler({ qualifies: (o) => o.id !== 'unstaked', rank: () => 0, assign: () => {} });
    scheduler.downRegions.add('down');
    const operators = [
      op('idle'),
      op('busy', { active: new Set(['a1', 'a2']) }),
      op('degraded', { status: 'degraded' }),
      op('no-llm', { resources: { cpu: 4, memoryMb: 8192, gpuMemoryMb: 0, capabilities: [], eus: [] } }),
      op('gone', { conn: null }),
      op('suspended', { status: 'suspended' }),
      op('draining', { status: 'draining' }),
      op('unstaked'),
      op('in-outage', { region: 'down' }),
    ];
    expect(scheduler.capable(operators, eu)).toBe(3);
  });
});

describe('OpenAI shapes', () => {
  it('turns a chat request into the chat EU input: developer is system, text parts are joined', () => {
    const request = ChatCompletionRequest.parse({
      model: 'chat',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'one' },
            { type: 'text', text: 'two' },
          ],
        },
      ],
      max_completion_tokens: 20,
      temperature: 0.5,
      top_p: 0.9,
    });
    expect(chatInput(request)).toEqual({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'one\ntwo' },
      ],
      maxTokens: 20,
      temperature: 0.5,
    });
    expect(completionInput(CompletionRequest.parse({ model: 'chat', prompt: ['hi'] }))).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('refuses what it cannot honour, by field', () => {
    const paths = (body: unknown) =>
      ChatCompletionRequest.safeParse(body).error?.issues.map((i) => i.path.join('.')) ?? [];
    const base = { model: 'chat', messages: [{ role: 'user', content: 'x' }] };
    expect(paths(base)).toEqual([]);
    expect(paths({ ...base, n: 3 })).toEqual(['n']);
    expect(paths({ ...base, tools: [{ type: 'function' }] })).toEqual(['tools']);
    expect(paths({ ...base, messages: [{ role: 'tool', content: 'x' }] })).toEqual(['messages.0.role']);
    expect(paths({ ...base, messages: [{ role: 'user', content: [{ type: 'image_url' }] }] })).not.toEqual([]);
    expect(paths({ ...base, max_tokens: 0 })).toEqual(['max_tokens']);
    expect(CompletionRequest.safeParse({ model: 'chat', prompt: ['a', 'b'] }).success).toBe(false);
  });

  it('knows a chat or embedding model from other EUs, and a prompt that cannot fit its context', () => {
    expect(modelKind({ manifest: CHAT_MANIFEST })).toBe('chat');
    expect(modelKind({ manifest: { ...CHAT_MANIFEST, inputSchema: { properties: { text: {} } } } })).toBeNull();
    const noLlm = { ...CHAT_MANIFEST.requirements, capabilities: [] };
    expect(modelKind({ manifest: { ...CHAT_MANIFEST, requirements: noLlm } })).toBeNull();
    const embed = { ...CHAT_MANIFEST.requirements, capabilities: ['embed.text'] };
    expect(
      modelKind({ manifest: { ...CHAT_MANIFEST, requirements: embed, inputSchema: { properties: { input: {} } } } }),
    ).toBe('embedding');
    const input = { messages: [{ role: 'user' as const, content: 'x'.repeat(360) }], maxTokens: 10 };
    expect(contextProblem(input, 100)).toBeNull();
    expect(contextProblem({ ...input, maxTokens: 11 }, 100)).toContain('context length is 100');
    expect(contextProblem({ ...input, maxTokens: 5000 }, undefined)).toBeNull();
  });

  it('reads the accepted output, its usage and verdict; streams pieces that join to the text', () => {
    const task = {
      id: 'task_1',
      euId: 'eu_chat',
      status: 'verified',
      quorum: 2,
      replicas: 3,
      verdict: {
        outputHash: 'h',
        output: { text: 'Paris, 330 m.', truncated: true, usage: { promptTokens: 7, completionTokens: 4 } },
      },
      assignments: [
        { operatorId: 'a', status: 'accepted', dissenting: false },
        { operatorId: 'b', status: 'accepted', dissenting: false },
        { operatorId: 'liar', status: 'rejected', dissenting: true },
      ],
    } as unknown as TaskView;
    const answer = answerOf(task, { messages: [{ role: 'user', content: 'q' }] }, 'http://x/v1/tasks/task_1/receipt');
    expect(answer).toMatchObject({
      text: 'Paris, 330 m.',
      finishReason: 'length',
      usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
      corten: { task_id: 'task_1', verdict: { agreeing: ['a', 'b'], dissenting: ['liar'], output_hash: 'h' } },
    });
    const text = ' Several  words, with\nodd   spacing and more words after them. ';
    const pieces = streamPieces(text, 3);
    expect(pieces.join('')).toBe(text);
    expect(pieces.length).toBeGreaterThan(2);
    expect(streamPieces('')).toEqual([]);
  });
});
