/**
 * How a verified answer is written in OpenAI's shapes: whole (`chat.completion`,
 * `text_completion`) or as a stream of SSE events once it is verified.
 */
import type { ServerResponse } from 'node:http';
import { OpenAiError } from './openai-errors.js';
import { streamPieces, type Answer } from './openai-shapes.js';

/**
 * SSE comment interval while a streamed answer is being verified: under the 30 s to 60 s after which proxies and
 * load balancers commonly drop an idle connection.
 */
const KEEP_ALIVE_MS = 10_000;

/** What every object of one answer repeats: its id, when it was made, the model. */
export interface Frame {
  id: string;
  created: number;
  model: string;
}

export function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

export function chatCompletion(frame: Frame, answer: Answer): Record<string, unknown> {
  return {
    ...frame,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.text, refusal: null },
        finish_reason: answer.finishReason,
        logprobs: null,
      },
    ],
    usage: answer.usage,
    corten: answer.corten,
  };
}

export function textCompletion(frame: Frame, answer: Answer): Record<string, unknown> {
  return {
    ...frame,
    object: 'text_completion',
    choices: [{ index: 0, text: answer.text, finish_reason: answer.finishReason, logprobs: null }],
    usage: answer.usage,
    corten: answer.corten,
  };
}

/**
 * The streamed answer: headers and a first comment at once, a comment every KEEP_ALIVE_MS while the task is
 * verified, then the accepted text in chunks, the usage chunk and `[DONE]`; or, when the task fails, an error
 * event (OpenAI's clients throw it) and the end of the stream.
 */
export async function stream(
  res: ServerResponse,
  kind: 'chat' | 'text',
  frame: Frame,
  taskId: string,
  settle: () => Promise<Answer>,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-corten-task-id': taskId,
  });
  res.write(`: corten task ${taskId} submitted; the answer streams once its replicas agree on it\n\n`);
  const keepAlive = setInterval(() => res.write(': verifying\n\n'), KEEP_ALIVE_MS);
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  try {
    const answer = await settle();
    clearInterval(keepAlive);
    if (res.destroyed) return;
    const choice = (text: string | null, finish: string | null, first = false) =>
      kind === 'chat'
        ? {
            index: 0,
            delta: text === null ? {} : first ? { role: 'assistant', content: text } : { content: text },
            finish_reason: finish,
            logprobs: null,
          }
        : { index: 0, text: text ?? '', finish_reason: finish, logprobs: null };
    const pieces = streamPieces(answer.text);
    pieces.forEach((piece, i) => send({ ...frame, object, choices: [choice(piece, null, i === 0)] }));
    send({ ...frame, object, choices: [choice(null, answer.finishReason)] });
    send({ ...frame, object, choices: [], usage: answer.usage, corten: answer.corten });
    res.write('data: [DONE]\n\n');
  } catch (thrown) {
    clearInterval(keepAlive);
    if (!res.destroyed) send(OpenAiError.from(thrown).body());
  } finally {
    res.end();
  }
}
