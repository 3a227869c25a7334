/**
 * Shared pieces of the runtime tests: fixture EUs, a real OpenAI-compatible
 * HTTP server to stand in for an operator's LLM backend, and the BBC file.
 *
 * The sandbox workers run the compiled code in dist/, so build (`npx tsc -p
 * tsconfig.json`) before running these tests.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEuFolder } from '../../src/runtime/index.js';
import type { EuPackage } from '../../src/protocol/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** A fixture EU from test/runtime/fixtures/<name>. */
export function fixture(name: string): Promise<EuPackage> {
  return loadEuFolder(join(here, 'fixtures', name));
}

export const BBC_DATA = join(here, '..', '..', '..', 'shared', 'data', 'bbc-news-summary.jsonl');
export const HAVE_BBC_DATA = existsSync(BBC_DATA);

export interface ChatRequest {
  body: { model: string; messages: { role: string; content: string }[]; max_tokens: number; temperature: number };
  headers: IncomingHttpHeaders;
}

/** How the fake backend answers one request: a completion, an HTTP error, or an answer the test releases later. */
export type ChatReply = { content: string } | { status: number; text: string } | Promise<{ content: string }>;

export interface FakeLlm {
  baseUrl: string;
  requests: ChatRequest[];
  /** Resolves with the first request, received or still to come, that `match` accepts. */
  nextRequestMatching(match: (request: ChatRequest) => boolean): Promise<ChatRequest>;
  close(): Promise<void>;
}

/** Starts an OpenAI-compatible chat completions server on loopback. */
export async function startFakeLlm(reply: (request: ChatRequest) => ChatReply): Promise<FakeLlm> {
  const requests: ChatRequest[] = [];
  const waiters: { match: (r: ChatRequest) => boolean; resolve: (r: ChatRequest) => void }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const request: ChatRequest = { body: JSON.parse(raw) as ChatRequest['body'], headers: req.headers };
      requests.push(request);
      for (const waiter of waiters.filter((w) => w.match(request))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(request);
      }
      void Promise.resolve(reply(request)).then((answer) => {
        if (res.destroyed) return;
        if ('status' in answer) {
          res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text);
          return;
        }
        const completionTokens = answer.content.split(/\s+/).length;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: `chatcmpl-${requests.length}`,
            object: 'chat.completion',
            created: 1_700_000_000,
            model: request.body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: answer.content }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 12, completion_tokens: completionTokens, total_tokens: 12 + completionTokens },
          }),
        );
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    nextRequestMatching: (match) => {
      const seen = requests.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
