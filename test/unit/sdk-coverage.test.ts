/**
 * The SDK covers the whole API: every route of the coordinator's catalog has
 * an entry in SDK_OPERATIONS naming CortenClient methods that exist, and the
 * OpenAI-compatible requests the SDK sends are the ones the routes take.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CortenClient, SDK_OPERATIONS } from '../../src/client/index.js';
import type { ChatCompletionRequest, CompletionRequest, EmbeddingRequest } from '../../src/client/index.js';
import { API_ROUTES } from '../../src/coordinator/api/index.js';
import type * as server from '../../src/coordinator/api/openai-shapes.js';
import type { Holds, Same } from '../helpers/type-checks.js';

/** What the SDK sends is what the routes parse; `stream` is the method's to set, tools are refused anyway. */
export type RequestsMatch = [
  Holds<
    Same<Omit<z.input<typeof server.ChatCompletionRequest>, 'stream' | 'tools' | 'functions'>, ChatCompletionRequest>
  >,
  Holds<Same<Omit<z.input<typeof server.CompletionRequest>, 'stream'>, CompletionRequest>>,
  Holds<Same<z.input<typeof server.EmbeddingRequest>, EmbeddingRequest>>,
];

const client = new CortenClient('http://127.0.0.1:1', { apiKey: 'ck_x', adminToken: '' });

describe('the SDK', () => {
  it('has an entry for every route of the API, naming methods of CortenClient', () => {
    const missing = API_ROUTES.filter((route) => !Object.hasOwn(SDK_OPERATIONS, route.operationId)).map(
      (route) => `${route.operationId} (${route.method} ${route.url})`,
    );
    expect(missing, 'routes with no SDK method').toEqual([]);
    for (const [operationId, methods] of Object.entries(SDK_OPERATIONS)) {
      expect(methods.length, operationId).toBeGreaterThan(0);
      for (const method of methods) {
        expect(typeof (client as unknown as Record<string, unknown>)[method], `${operationId} → ${method}`).toBe(
          'function',
        );
      }
    }
  });

  it('names no operation the API does not have', () => {
    const operations = new Set(API_ROUTES.map((route) => route.operationId));
    expect(Object.keys(SDK_OPERATIONS).filter((id) => !operations.has(id))).toEqual([]);
  });

  it("gives operators' agents the WebSocket URL of the coordinator", () => {
    expect(new CortenClient('https://corten.example/').operatorConnectUrl()).toBe(
      'wss://corten.example/v1/operators/connect',
    );
  });
});

describe("the OpenAI-compatible endpoint's methods", () => {
  it('stop waiting when their signal is aborted', async () => {
    const signal = AbortSignal.abort();
    const messages = [{ role: 'user' as const, content: 'hello' }];
    await expect(client.createChatCompletion({ model: 'llm-chat', messages }, { signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    await expect(client.streamChatCompletion({ model: 'llm-chat', messages }, { signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
