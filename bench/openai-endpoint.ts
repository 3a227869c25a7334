/**
 * The OpenAI-compatible endpoint's own cost: one verified chat completion,
 * end to end through a real coordinator and three operator processes whose
 * LLM backends answer at once (so the figure is corten's overhead, not a
 * model's: two replicas, the semantic verdict, settlement), whole and
 * streamed. For a stream, the time to its first byte (the task id, at once)
 * and to its first token (after the verdict).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalNetwork } from '../src/sim/index.js';
import { fmt, heading, line, percentile } from './support.js';

const ANSWER = 'The Eiffel Tower is 330 metres tall and stands on the Champ de Mars in Paris.';

/** An OpenAI-compatible backend that answers every chat at once. */
async function instantLlm(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          choices: [{ message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 12, completion_tokens: 16 },
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export async function openaiEndpointBench(requests = 30): Promise<void> {
  heading(`OpenAI-compatible endpoint: ${requests} sequential verified chat completions (llm-chat, quorum 2)`);
  const dir = mkdtempSync(join(tmpdir(), 'corten-bench-openai-'));
  const backends = await Promise.all([0, 1, 2].map(() => instantLlm()));
  const network = new LocalNetwork({ dir, coordinatorArgs: ['--openai-rate-limit', '0'] });
  try {
    await network.startCoordinator();
    await network.startOperators(
      backends.map((b, i) => ({
        region: `r${i + 1}`,
        workers: 1,
        capabilities: ['llm.complete'],
        args: ['--llm-url', b.url, '--llm-model', 'instant'],
      })),
    );
    const admin = network.admin();
    const account = await admin.createAccount('bench');
    await admin.deposit(account.id, 1_000_000);
    const headers = { authorization: `Bearer ${account.apiKey}`, 'content-type': 'application/json' };
    const chat = (stream: boolean) =>
      fetch(`${network.url}/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: 'llm-chat', messages: [{ role: 'user', content: 'How tall?' }], stream }),
      });
    await (await chat(false)).json(); // warm-up: the operators' sandboxes load the EU
    const whole: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      await (await chat(false)).json();
      whole.push(performance.now() - started);
    }
    const firstByte: number[] = [];
    const firstToken: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      const response = await chat(true);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let seen = '';
      let gotByte = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!gotByte) {
          firstByte.push(performance.now() - started);
          gotByte = true;
        }
        const before = seen.includes('chat.completion.chunk');
        seen += decoder.decode(value, { stream: true });
        if (!before && seen.includes('chat.completion.chunk')) firstToken.push(performance.now() - started);
      }
    }
    const show = (label: string, values: number[]) =>
      line(`  ${label}: p50 ${fmt(percentile(values, 50))} ms, p95 ${fmt(percentile(values, 95))} ms`);
    show('whole answer', whole);
    show('stream, first byte (task id, keep-alive comment)', firstByte);
    show('stream, first token (after the verdict)', firstToken);
  } finally {
    await network.stop();
    for (const b of backends) b.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
