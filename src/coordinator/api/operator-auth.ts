/**
 * Who may act for an operator over HTTP: whoever holds its key (a request
 * signed as protocol/operator-request.ts describes), or the admin.
 *
 * Replays are refused by time and by nonce: a timestamp further than
 * REQUEST_MAX_SKEW_MS from this coordinator's clock is stale, and a nonce is
 * remembered for at least twice that long (two generations of a set, the
 * older dropped whole when the newer has lived 2 × the skew), so any replay
 * within the window finds its nonce. Only a request whose signature verifies
 * spends a nonce, so nobody without a key can fill the sets.
 */
import {
  CortenError,
  identityId,
  OPERATOR_REQUEST_HEADERS,
  REQUEST_MAX_SKEW_MS,
  requestStatement,
  verify,
} from '../../protocol/index.js';
import type { Accounts } from '../economics/index.js';

/** The parts of an HTTP request that a signature covers. */
export interface SignedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Nonces remembered at most, per generation: far above any honest rate, a bound on memory whatever happens. */
const MAX_NONCES = 1_000_000;

export class OperatorAuth {
  private current = new Set<string>();
  private previous = new Set<string>();
  private generationStarted: number;

  constructor(
    private readonly accounts: Pick<Accounts, 'requireAdmin'>,
    private readonly now: () => number = Date.now,
  ) {
    this.generationStarted = now();
  }

  /** Resolves with who made the request for `operatorId`; throws UNAUTHORIZED, AUTH_FAILED or FORBIDDEN otherwise. */
  async require(request: SignedRequest, operatorId: string): Promise<'operator' | 'admin'> {
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const key = header(OPERATOR_REQUEST_HEADERS.key);
    if (key === undefined) {
      const authorization = header('authorization');
      if (authorization === undefined) {
        throw new CortenError(
          'UNAUTHORIZED',
          `sign the request with the operator's key (corten operator status --key FILE does) or send the admin token`,
        );
      }
      await this.accounts.requireAdmin(authorization);
      return 'admin';
    }
    const timestamp = header(OPERATOR_REQUEST_HEADERS.timestamp) ?? '';
    const nonce = header(OPERATOR_REQUEST_HEADERS.nonce) ?? '';
    const signature = header(OPERATOR_REQUEST_HEADERS.signature) ?? '';
    if (!/^[0-9a-f]{64}$/.test(key) || !/^\d{1,16}$/.test(timestamp) || !/^[0-9a-f]{32}$/.test(nonce)) {
      throw new CortenError(
        'AUTH_FAILED',
        `a signed request carries ${OPERATOR_REQUEST_HEADERS.key} (64 hex), ${OPERATOR_REQUEST_HEADERS.timestamp} ` +
          `(ms since epoch) and ${OPERATOR_REQUEST_HEADERS.nonce} (32 hex)`,
      );
    }
    if (identityId('op', key) !== operatorId) {
      throw new CortenError('FORBIDDEN', `the signing key is not operator ${operatorId}'s`);
    }
    const now = this.now();
    const skew = Number(timestamp) - now;
    if (Math.abs(skew) > REQUEST_MAX_SKEW_MS) {
      throw new CortenError(
        'AUTH_FAILED',
        `the request was signed ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'ago' : 'ahead'}; ` +
          `sign it again (and check this machine's clock: at most ${REQUEST_MAX_SKEW_MS / 1000} s apart)`,
      );
    }
    const statement = requestStatement(request.method, request.url, timestamp, nonce, request.body);
    if (!verify(key, 'request', statement, signature)) {
      throw new CortenError('BAD_SIGNATURE', 'the request signature does not verify for this method, path and body');
    }
    this.rotate(now);
    if (this.current.has(nonce) || this.previous.has(nonce)) {
      throw new CortenError('AUTH_FAILED', 'this request was already made (its nonce was seen): sign a fresh one');
    }
    if (this.current.size >= MAX_NONCES) {
      throw new CortenError('RATE_LIMITED', 'too many signed requests in this window; retry in a few minutes');
    }
    this.current.add(nonce);
    return 'operator';
  }

  private rotate(now: number): void {
    if (now - this.generationStarted < 2 * REQUEST_MAX_SKEW_MS) return;
    this.previous = this.current;
    this.current = new Set();
    this.generationStarted = now;
  }
}
