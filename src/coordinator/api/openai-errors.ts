/**
 * Errors in OpenAI's error object, `{ error: { message, type, param, code } }`,
 * for the OpenAI-compatible routes. `code` is corten's stable code (the same
 * as the envelope's elsewhere in the API); the status is what OpenAI's
 * clients switch on, so a few codes answer here with another status than the
 * rest of the API gives them (402 for a balance too low, 400 for an input the
 * model refuses).
 */
import { CortenError } from '../../protocol/index.js';
import { asCortenError } from './errors.js';

/** OpenAI's `type` of an error, by HTTP status. */
const TYPE_OF_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  503: 'service_unavailable',
};

/** Codes whose status differs here from the rest of the API (OpenAI clients switch on the status). */
const STATUS_HERE: Partial<Record<string, number>> = {
  INSUFFICIENT_BALANCE: 402,
  INPUT_SCHEMA_MISMATCH: 400,
  VALIDATION_FAILED: 400,
  ANONYMOUS_DISABLED: 401,
};

/** An error as OpenAI shapes it: `param` names the offending request field, `corten` the task when there is one. */
export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly extra: { headers?: Record<string, string>; corten?: Record<string, unknown> } = {},
  ) {
    super(message);
  }

  static from(thrown: unknown): OpenAiError {
    if (thrown instanceof OpenAiError) return thrown;
    const error = thrown instanceof CortenError ? thrown : asCortenError(thrown);
    const issues = (error.details as { issues?: { path: string }[] } | undefined)?.issues;
    const param = issues?.[0]?.path.replace(/^body\./, '') ?? null;
    return new OpenAiError(STATUS_HERE[error.code] ?? error.status, error.code, error.message, param);
  }

  body(): Record<string, unknown> {
    const type = TYPE_OF_STATUS[this.status] ?? (this.status >= 500 ? 'server_error' : 'invalid_request_error');
    const body: Record<string, unknown> = {
      error: { message: this.message, type, param: this.param, code: this.code },
    };
    if (this.extra.corten) body.corten = this.extra.corten;
    return body;
  }
}
