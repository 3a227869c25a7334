/**
 * The one error type of corten. Every failure that crosses a boundary (HTTP,
 * WebSocket, CLI) is a CortenError with a stable `code` a program can switch on
 * and a message a person can act on. Unknown throwables are turned into one by
 * `coerceError` at every catch that reports.
 */

/** Stable error codes with the HTTP status each maps to. */
export const ERROR_STATUS = {
  MALFORMED_JSON: 400,
  /** JSON nested deeper than the limits in limits.ts allow. */
  JSON_TOO_DEEP: 400,
  /** A URL that does not decode (a bad `%` escape). */
  MALFORMED_URL: 400,
  /** An HTTP request the server could not read at all. */
  MALFORMED_REQUEST: 400,
  VALIDATION_FAILED: 400,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A plain HTTP request to the operators' WebSocket. */
  UPGRADE_REQUIRED: 426,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  /** Submissions without a key are off on this coordinator (`--allow-anonymous` turns them on). */
  ANONYMOUS_DISABLED: 401,
  /** The EU name belongs to another account: its first publisher owns it. */
  EU_NAME_TAKEN: 403,
  NOT_FOUND: 404,
  EU_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  OPERATOR_NOT_FOUND: 404,
  RECEIPT_NOT_FOUND: 404,
  ACCOUNT_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  /** A webhook URL this coordinator will not call (scheme, credentials, or a host outside its allowed list). */
  WEBHOOK_URL_REFUSED: 422,
  EU_VERSION_CONFLICT: 409,
  WORKFLOW_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  /** The workflow name belongs to another account: its first publisher owns it. */
  WORKFLOW_NAME_TAKEN: 403,
  /** The same workflow name and version is published with other content. */
  WORKFLOW_VERSION_CONFLICT: 409,
  /** A workflow document that parses but cannot run: a cycle, an unknown step, a missing EU, a removed step. */
  WORKFLOW_INVALID: 422,
  INVALID_MANIFEST: 422,
  EU_REQUIREMENTS_UNMET: 422,
  INPUT_SCHEMA_MISMATCH: 422,
  INSUFFICIENT_BALANCE: 422,
  INSUFFICIENT_STAKE: 422,
  LEDGER_INVALID: 422,
  RECEIPT_INVALID: 422,
  NO_DATA: 404,
  DATA_DIR_LOCKED: 409,
  BAD_SIGNATURE: 401,
  AUTH_FAILED: 401,
  ASSIGNMENT_NOT_HELD: 409,
  LEASE_EXPIRED: 409,
  DUPLICATE_RESULT: 409,
  PROTOCOL_ERROR: 400,
  SHUTTING_DOWN: 503,
  CAPABILITY_UNAVAILABLE: 503,
  HOST_BACKEND_FAILED: 502,
  /**
   * An assignment update found its row no longer at the attempt and status it
   * expected (the lease fence): the store changed nothing. The writer's memory
   * is behind the store, or another writer holds the lease; it must stop writing.
   */
  STALE_FENCE: 409,
  /**
   * A commit of a coordinator that no longer holds the leader lease's epoch (a
   * takeover bumped it): the store changed nothing, and the writer steps down.
   */
  STALE_EPOCH: 409,
  /** This coordinator is a follower and the request needs the leader (its URL is in details.leader). */
  NOT_LEADER: 503,
  /** The database cannot be reached; nothing was written. */
  STORE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorEnvelope {
  error: { code: ErrorCode | string; message: string; details?: unknown };
}

export class CortenError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CortenError';
    this.code = code;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_STATUS[this.code] ?? 500;
  }

  toEnvelope(): ErrorEnvelope {
    const error: ErrorEnvelope['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** Turns anything thrown into a CortenError, keeping the original as `cause`. */
export function coerceError(thrown: unknown, fallback: ErrorCode = 'INTERNAL'): CortenError {
  if (thrown instanceof CortenError) return thrown;
  if (thrown instanceof Error) return new CortenError(fallback, thrown.message, { cause: thrown });
  return new CortenError(fallback, String(thrown), { cause: thrown });
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, value);
}
