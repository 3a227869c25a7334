/**
 * The `llm.complete` capability against a real HTTP server speaking the
 * OpenAI chat completions wire format: the start-up probe, async host calls
 * awaited by the EU, backend failures, and the wall-clock budget while an EU
 * waits on the backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EuPackage } from '../../src/protocol/index.js';
import { builtinEuDirs } from '../../src/eus/index.js';
import { chatCompletionsUrl, createRuntime, loadEuFolder, type SandboxRuntime } from '../../src/runtime/index.js';
import { fixture, startFakeLlm, type ChatRequest, type FakeLlm } from './support.js';

let llm: FakeLlm;
let runtime: SandboxRuntime;
let caller: EuPackage;
const held: (() => void)[] = [];

function lastUserMessage(request: ChatRequest): string {
  return request.body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
}

beforeAll(async () => {
  llm = await startFakeLlm((request) => {
    const prompt = lastUserMessage(request);
    if (prompt.includes('FAIL500')) return { status: 500, text: '{"error":{"message":"model overloaded"}}' };
    if (prompt.includes('HOLD')) return new Promise((resolve) => held.push(() => resolve({ content: 'too late' })));
    if (prompt.startsWith('Reply with the single word')) return { content: 'ok' };
    return { content: `Summary: ${prompt.slice(0, 40)}` };
  });
  runtime = await createRuntime({
    workers: 1,
    capabilities: { llm: { baseUrl: llm.baseUrl, model: 'Test-Model', apiKey: 'sk-test' } },
  });
  caller = await fixture('llm-caller');
});

afterAll(async () => {
  for (const release of held) release();
  await runtime.close();
  await llm.close();
});

function call(input: Record<string, unknown>, eu = caller) {
  return runtime.execute({ eu, input, seed: '01', clock: 0 });
}

describe('llm.complete', () => {
  it('is probed at start with a tiny completion and advertised with its model', () => {
    expect(runtime.capabilities).toEqual(
      expect.arrayContaining(['llm.complete', 'llm:test-model', 'nlp', 'embed.text']),
    );
    const probe = llm.requests[0]!;
    expect(probe.body).toEqual({
      model: 'Test-Model',
      messages: [{ role: 'user', content: 'Reply with the single word: ok' }],
      max_tokens: 8,
      temperature: 0,
    });
    expect(probe.headers.authorization).toBe('Bearer sk-test');
  });

  it('lets an async EU await a completion', async () => {
    const outcome = await call({ prompt: 'Tell me about QuickJS', maxTokens: 50 });
    expect(outcome).toMatchObject({ ok: true, output: { text: 'Summary: Tell me about QuickJS' } });
    const sent = llm.requests.at(-1)!;
    expect(sent.body).toMatchObject({
      model: 'Test-Model',
      max_tokens: 50,
      temperature: 0,
      messages: [{ role: 'user', content: 'Tell me about QuickJS' }],
    });
  });

  it('runs the built-in llm-summarize EU', async () => {
    const eu = await loadEuFolder(builtinEuDirs().find((d) => d.endsWith('llm-summarize'))!);
    const text = 'The central bank raised interest rates by a quarter point on Thursday, citing inflation.';
    const outcome = await call({ title: 'Rates rise', text }, eu);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect((outcome.output as { summary: string }).summary).toMatch(/^Summary: Summarize this article in at most 80/);
    const sent = llm.requests.at(-1)!;
    expect(sent.body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(sent.body.messages[1]!.content).toContain(text);
    expect(sent.body.max_tokens).toBe(80 * 2 + 32);
    expect(sent.body.temperature).toBe(0);
  });

  it('fails an execution with EU_HOST_ERROR when the backend answers HTTP 500, and keeps working', async () => {
    const outcome = await call({ prompt: 'FAIL500 please' });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('EU_HOST_ERROR');
    expect(outcome.error.message).toContain('answered HTTP 500');
    expect(outcome.error.message).toContain('model overloaded');
    expect(await call({ prompt: 'again' })).toMatchObject({ ok: true, output: { text: 'Summary: again' } });
  });

  it('lets the EU catch a backend failure as a HostError', async () => {
    const outcome = await call({ prompt: 'FAIL500 but caught', catch: true });
    expect(outcome).toMatchObject({ ok: true, output: { caught: expect.stringMatching(/^HostError: .*HTTP 500/) } });
  });

  it('reports a malformed request as a TypeError thrown in the EU', async () => {
    const outcome = await call({ prompt: 'x', maxTokens: 0 });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'EU_THREW', message: expect.stringContaining('TypeError: host.llm.complete(request): maxTokens') },
    });
  });

  it('ends an execution waiting on the backend past its wall-clock budget with EU_TIMEOUT', async () => {
    const hasty = { ...caller, id: `${caller.id}-hasty`, manifest: { ...caller.manifest, timeoutMs: 300 } };
    const pending = call({ prompt: 'HOLD this one' }, hasty);
    await llm.nextRequestMatching((r) => lastUserMessage(r) === 'HOLD this one');
    const outcome = await pending;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('EU_TIMEOUT');
    expect(outcome.error.message).toContain('wall-clock');
    held.shift()?.();
    expect(await call({ prompt: 'after the timeout' })).toMatchObject({
      ok: true,
      output: { text: 'Summary: after the timeout' },
    });
  });
});

describe('a backend that fails its probe', () => {
  it('is not advertised, says why, and EUs needing it are refused', async () => {
    const broken = await startFakeLlm(() => ({ status: 503, text: 'warming up' }));
    const degraded = await createRuntime({
      workers: 1,
      capabilities: { nlp: false, embed: false, llm: { baseUrl: broken.baseUrl, model: 'm' } },
    });
    try {
      expect(degraded.capabilities).toEqual([]);
      expect(degraded.unavailable).toEqual([
        { capability: 'llm.complete', reason: expect.stringContaining('HTTP 503: warming up') },
      ]);
      const outcome = await degraded.execute({ eu: caller, input: { prompt: 'hi' }, seed: '01', clock: 0 });
      expect(outcome).toMatchObject({
        ok: false,
        error: { code: 'EU_REQUIREMENTS_UNMET', message: expect.stringContaining('llm.complete') },
      });
      expect(broken.requests).toHaveLength(1);
    } finally {
      await degraded.close();
      await broken.close();
    }
  });

  it('reports an unreachable backend', async () => {
    const gone = await startFakeLlm(() => ({ content: 'never' }));
    const baseUrl = gone.baseUrl;
    await gone.close();
    const degraded = await createRuntime({
      workers: 1,
      capabilities: { nlp: false, embed: false, llm: { baseUrl, model: 'm' } },
    });
    try {
      expect(degraded.unavailable).toEqual([
        { capability: 'llm.complete', reason: expect.stringContaining('could not be reached') },
      ]);
    } finally {
      await degraded.close();
    }
  });
});

describe('a base URL written with /v1, as Ollama and vLLM document theirs', () => {
  it('reaches the same endpoint as one without it', async () => {
    const ok = await startFakeLlm(() => ({ content: 'ok' }));
    try {
      for (const baseUrl of [`${ok.baseUrl}/v1`, `${ok.baseUrl}/v1/`, `${ok.baseUrl}/`]) {
        const runtime = await createRuntime({
          workers: 1,
          capabilities: { nlp: false, embed: false, llm: { baseUrl, model: 'm' } },
        });
        try {
          expect(runtime.unavailable).toEqual([]);
          expect(runtime.capabilities).toEqual(['llm.complete', 'llm:m']);
        } finally {
          await runtime.close();
        }
      }
      // The fake answers 404 anywhere but /v1/chat/completions: every probe reached it there.
      expect(ok.requests).toHaveLength(3);
    } finally {
      await ok.close();
    }
  });

  it('is normalized to {root}/v1/chat/completions', () => {
    expect(chatCompletionsUrl('http://h:11434/v1')).toBe('http://h:11434/v1/chat/completions');
    expect(chatCompletionsUrl('http://h:8000')).toBe('http://h:8000/v1/chat/completions');
    expect(chatCompletionsUrl('https://h/proxy/v1//')).toBe('https://h/proxy/v1/chat/completions');
    expect(chatCompletionsUrl('https://h/v1beta')).toBe('https://h/v1beta/v1/chat/completions');
  });
});
