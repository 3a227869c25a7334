/**
 * A resuming reader of the coordinator's event stream (Server-Sent Events),
 * as an async iterator. The stream is the log itself, so a connection that
 * breaks (the coordinator restarted, a proxy dropped it, the client was too
 * slow) loses nothing: the reader reconnects with backoff and sends the id
 * of the last event it delivered as `Last-Event-ID`, and the coordinator
 * replays from there. Events at or before that id are never delivered twice.
 *
 * Its states: connecting → open (delivering) → on a break, waiting out the
 * backoff → connecting again; it ends when the caller stops iterating or
 * aborts its signal. Only an answer that retrying cannot change (a 4xx:
 * bad query, bad key) or running past `giveUpAfterMs` without a connection
 * ends it with an error.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { CortenError, coerceError, type CortenEvent } from '../protocol/index.js';

export interface FollowOptions {
  /** Stops following: the iterator ends without an error. */
  signal?: AbortSignal;
  /** First wait before a reconnect; it doubles on every failed attempt. Default 250 ms. */
  minDelayMs?: number;
  /** Longest wait between reconnects. Default 5 s: a restarted coordinator is found within seconds. */
  maxDelayMs?: number;
  /** Ends with an error after this long without a working connection. Default: never give up. */
  giveUpAfterMs?: number;
  /** Called on every (re)connection, with the log position the stream resumes after (when known). */
  onConnect?: (info: { position: number | undefined; reconnect: boolean }) => void;
  /** Called when a connection is lost or refused, before waiting `delayMs`. */
  onDisconnect?: (info: { error: CortenError; delayMs: number; position: number | undefined }) => void;
}

/** What opening one connection needs from the client: the URL and its headers. */
export interface StreamRequest {
  url: (position: number | undefined) => string;
  headers: Record<string, string>;
  /** Turns a refused answer into a CortenError carrying its HTTP status. */
  refusal: (status: number, body: unknown) => CortenError;
}

const DEFAULT_MIN_DELAY_MS = 250;
const DEFAULT_MAX_DELAY_MS = 5_000;
/** The coordinator opens each stream with this comment, naming the position it resumes after. */
const POSITION_COMMENT = /^\s*corten event stream after (\d+)\s*$/;

class Retryable extends Error {
  constructor(readonly error: CortenError) {
    super(error.message);
  }
}

/** Follows the stream from `start` (undefined: from now), resuming after every disconnect. */
export async function* followEvents(
  request: StreamRequest,
  start: number | undefined,
  options: FollowOptions = {},
): AsyncGenerator<CortenEvent> {
  const minDelay = Math.max(1, options.minDelayMs ?? DEFAULT_MIN_DELAY_MS);
  const maxDelay = Math.max(minDelay, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
  let position = start;
  let failures = 0;
  let lostAt: number | undefined;
  let connected = false;
  while (!options.signal?.aborted) {
    const controller = new AbortController();
    const stop = () => controller.abort();
    options.signal?.addEventListener('abort', stop, { once: true });
    let error: CortenError;
    try {
      for await (const item of connect(request, position, controller.signal)) {
        if (item.kind === 'open') {
          // A stream that answered is a working connection: the backoff starts over.
          failures = 0;
          lostAt = undefined;
          if (position === undefined) position = item.position;
          options.onConnect?.({ position, reconnect: connected });
          connected = true;
          continue;
        }
        const event = item.event;
        if (position !== undefined && event.seq <= position) continue;
        position = event.seq;
        yield event;
      }
      error = new CortenError('SHUTTING_DOWN', 'the coordinator ended the event stream');
    } catch (thrown) {
      if (options.signal?.aborted) return;
      if (!(thrown instanceof Retryable)) throw thrown;
      error = thrown.error;
    } finally {
      options.signal?.removeEventListener('abort', stop);
      controller.abort();
    }
    lostAt ??= Date.now();
    if (options.giveUpAfterMs !== undefined && Date.now() - lostAt >= options.giveUpAfterMs) {
      const message = `no event stream for ${options.giveUpAfterMs} ms: ${error.message}`;
      throw new CortenError('INTERNAL', message, { cause: error });
    }
    // Full jitter, so clients cut off together do not all come back in the same instant.
    const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.min(failures, 16));
    const delayMs = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    failures += 1;
    options.onDisconnect?.({ error, delayMs, position });
    await pause(delayMs, options.signal);
  }
}

type StreamItem = { kind: 'open'; position: number | undefined } | { kind: 'event'; event: CortenEvent };

/** One connection: yields `open` once the stream answered, then its events; throws Retryable on a break. */
async function* connect(
  request: StreamRequest,
  position: number | undefined,
  signal: AbortSignal,
): AsyncGenerator<StreamItem> {
  const headers: Record<string, string> = { ...request.headers, accept: 'text/event-stream' };
  if (position !== undefined) headers['last-event-id'] = String(position);
  let response: Response;
  try {
    response = await fetch(request.url(position), { headers, signal });
  } catch (thrown) {
    throw retryable(`cannot reach the coordinator: ${causeOf(thrown)}`, thrown);
  }
  if (!response.ok || !response.body) {
    const refusal = request.refusal(response.status, await response.json().catch(() => undefined));
    // A 5xx (restarting, shutting down) may pass; a 4xx will not, however often it is asked.
    if (response.status >= 500 || response.status === 429) throw new Retryable(refusal);
    throw refusal;
  }
  const messages: EventSourceMessage[] = [];
  let announced: number | undefined;
  let opened = false;
  const parser = createParser({
    onEvent: (message) => messages.push(message),
    onComment: (comment) => {
      const match = POSITION_COMMENT.exec(comment);
      if (match) announced = Number(match[1]);
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (!opened) {
        opened = true;
        yield { kind: 'open', position: announced };
      }
      while (messages.length > 0) {
        const message = messages.shift()!;
        yield { kind: 'event', event: JSON.parse(message.data) as CortenEvent };
      }
    }
  } catch (thrown) {
    if (signal.aborted) throw thrown;
    throw retryable(`the event stream broke: ${causeOf(thrown)}`, thrown);
  }
}

function retryable(message: string, cause: unknown): Retryable {
  return new Retryable(new CortenError('SHUTTING_DOWN', message, { cause }));
}

function causeOf(thrown: unknown): string {
  const error = coerceError(thrown);
  const cause = (error.cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message ?? error.message;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
