/**
 * How the SDK reads a refusal: the API's error envelope, or on the
 * OpenAI-compatible routes OpenAI's error object (whose `code` is corten's
 * stable code), becomes a CortenError carrying the HTTP status.
 */
import { CortenError, isErrorCode, type ErrorEnvelope } from '../protocol/index.js';
import type { FailedAnswer } from './openai-types.js';

/** Turns an error envelope (or OpenAI's error object) into a CortenError with the server's code. */
export function errorFrom(status: number, body: unknown): CortenError {
  const envelope = body as (Partial<ErrorEnvelope> & { corten?: FailedAnswer }) | undefined;
  const code = envelope?.error?.code;
  const message = envelope?.error?.message ?? (typeof body === 'string' && body ? body : `HTTP ${status}`);
  const known = typeof code === 'string' && isErrorCode(code);
  // OpenAI's error object: a task that did not verify names its failure (UNVERIFIABLE, EU_ERROR …) and the task.
  const details =
    envelope?.error?.details ??
    (envelope?.corten || (code && !known) ? { code: code ?? null, ...envelope?.corten } : undefined);
  const error = new CortenError(known ? code : 'INTERNAL', message, { details });
  Object.defineProperty(error, 'httpStatus', { value: status, enumerable: true });
  return error;
}

export function parseOrText(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
