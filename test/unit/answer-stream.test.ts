/**
 * The SDK's reader of a streamed OpenAI-compatible answer, on hand-made
 * responses: comments are skipped, `[DONE]` ends it, an error event throws
 * corten's code with the failed task, and however the bytes are cut the
 * same chunks come out.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerStream } from '../../src/client/answer-stream.js';
import { errorFrom } from '../../src/client/api-error.js';

const encoder = new TextEncoder();

/** A response whose body is `text` cut at `cuts` (byte offsets). */
function response(text: string, cuts: number[] = []): Response {
  const bytes = encoder.encode(text);
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces = [0, ...at, bytes.length].flatMap((start, i, all) =>
    i + 1 < all.length && all[i + 1]! > start ? [bytes.slice(start, all[i + 1])] : [],
  );
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'x-corten-task-id': 't_1' } });
}

async function read(res: Response): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const chunk of answerStream<unknown>(res, new AbortController(), errorFrom)) out.push(chunk);
  return out;
}

const CHUNKS = [
  { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Paris é ' } }] },
  { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'la capitale.' } }] },
  { object: 'chat.completion.chunk', choices: [], usage: { total_tokens: 3 } },
];
const WIRE =
  ': corten task t_1 submitted\n\n: verifying\n\n' +
  CHUNKS.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') +
  'data: [DONE]\n\n' +
  `data: ${JSON.stringify({ after: 'done' })}\n\n`;

describe('a streamed answer', () => {
  it('yields its chunks, skips comments, ends at [DONE] and names its task', async () => {
    const stream = answerStream<unknown>(response(WIRE), new AbortController(), errorFrom);
    expect(stream.taskId).toBe('t_1');
    const out: unknown[] = [];
    for await (const chunk of stream) out.push(chunk);
    expect(out).toEqual(CHUNKS);
  });

  it('gives the same chunks however its bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
        expect(await read(response(WIRE, cuts))).toEqual(CHUNKS);
      }),
      { numRuns: 100 },
    );
  });

  it("throws an error event as corten's code, with the failed task in its details", async () => {
    const failure = {
      error: {
        message: 'task t_1 ended without a verified answer',
        type: 'server_error',
        param: null,
        code: 'UNVERIFIABLE',
      },
      corten: { task_id: 't_1', receipt_url: 'http://c/v1/tasks/t_1/receipt', failure: { reason: 'unverifiable' } },
    };
    const wire = `data: ${JSON.stringify(CHUNKS[0])}\n\ndata: ${JSON.stringify(failure)}\n\n`;
    const seen: unknown[] = [];
    const reading = (async () => {
      for await (const chunk of answerStream<unknown>(response(wire), new AbortController(), errorFrom))
        seen.push(chunk);
    })();
    await expect(reading).rejects.toMatchObject({
      code: 'INTERNAL',
      message: failure.error.message,
      details: { code: 'UNVERIFIABLE', task_id: 't_1', failure: { reason: 'unverifiable' } },
    });
    expect(seen).toEqual([CHUNKS[0]]);
  });

  it('stops when closed, without an error', async () => {
    const stream = answerStream<unknown>(response(WIRE), new AbortController(), errorFrom);
    const out: unknown[] = [];
    for await (const chunk of stream) {
      out.push(chunk);
      stream.close();
    }
    expect(out).toEqual([CHUNKS[0]]);
  });
});

describe('a refusal', () => {
  it("keeps corten's code from the envelope and from OpenAI's error object, and the HTTP status", () => {
    const envelope = errorFrom(404, { error: { code: 'TASK_NOT_FOUND', message: 'no task t_9' } });
    expect(envelope).toMatchObject({ code: 'TASK_NOT_FOUND', message: 'no task t_9', httpStatus: 404 });
    const openai = errorFrom(402, {
      error: { message: 'short', type: 'x', param: null, code: 'INSUFFICIENT_BALANCE' },
    });
    expect(openai).toMatchObject({ code: 'INSUFFICIENT_BALANCE', httpStatus: 402, details: undefined });
  });

  it('survives any body a server (or a proxy in front of it) may send', () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 599 }), fc.oneof(fc.jsonValue(), fc.string()), (status, body) => {
        const error = errorFrom(status, body);
        expect(typeof error.code).toBe('string');
        expect(typeof error.message).toBe('string');
        expect((error as unknown as { httpStatus: number }).httpStatus).toBe(status);
      }),
    );
  });
});
