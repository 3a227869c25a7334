/**
 * A streamed answer of the OpenAI-compatible endpoint, read as an async
 * iterator of its chunks. The coordinator opens the stream as soon as the
 * task is submitted (its id is in the headers), keeps it alive with SSE
 * comments while the replicas run, then sends the verified text in chunks,
 * a usage chunk and `data: [DONE]`. An error event (the task did not verify)
 * ends the iteration with a CortenError.
 */
import { createParser } from 'eventsource-parser';
import type { CortenError } from '../protocol/index.js';

export interface AnswerStream<T> extends AsyncIterable<T> {
  /** The task the answer runs as (the `x-corten-task-id` header). */
  readonly taskId: string;
  /** Stops reading; the task still runs to its verdict. */
  close(): void;
}

/** Reads the chunks of an open SSE response; `refusal` turns an error event into a CortenError. */
export function answerStream<T>(
  response: Response,
  controller: AbortController,
  refusal: (status: number, body: unknown) => CortenError,
): AnswerStream<T> {
  const taskId = response.headers.get('x-corten-task-id') ?? '';
  const body = response.body;
  async function* chunks(): AsyncGenerator<T> {
    if (!body) return;
    const messages: string[] = [];
    const parser = createParser({ onEvent: (message) => messages.push(message.data) });
    const decoder = new TextDecoder();
    try {
      for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(bytes, { stream: true }));
        while (messages.length > 0) {
          // Closed: what was already read is dropped with the rest.
          if (controller.signal.aborted) return;
          const data = messages.shift()!;
          if (data === '[DONE]') return;
          const parsed = JSON.parse(data) as T | { error?: unknown };
          if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) throw refusal(502, parsed);
          yield parsed as T;
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      controller.abort();
    }
  }
  return { taskId, close: () => controller.abort(), [Symbol.asyncIterator]: chunks };
}
