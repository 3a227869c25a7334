/**
 * HTTP requests made in an operator's name, signed with its Ed25519 key (the
 * one in its key file), so that whoever holds the key (the operator's owner)
 * can read its standing and manage its webhooks without an admin token.
 *
 * The signature covers the method, the path with its query, a timestamp, a
 * nonce and the hash of the body's canonical JSON. The coordinator refuses a
 * timestamp further than `REQUEST_MAX_SKEW_MS` from its clock and a nonce it
 * has already seen inside that window, so a captured request cannot be
 * replayed. Both sides build the statement here, so they cannot drift.
 */
import { randomBytes } from 'node:crypto';
import { canonicalJson, sha256Hex } from './canonical.js';
import { sign, type KeyPair } from './signing.js';

export const OPERATOR_REQUEST_HEADERS = {
  /** The operator's public key, 64 hex digits; its id derives from it. */
  key: 'x-corten-operator-key',
  /** When the request was signed, ms since epoch by the signer's clock. */
  timestamp: 'x-corten-timestamp',
  /** 32 hex digits, fresh for every request. */
  nonce: 'x-corten-nonce',
  signature: 'x-corten-signature',
} as const;

/**
 * How far a signed request's timestamp may be from the coordinator's clock:
 * wide enough for clocks a little apart and a slow network, narrow enough
 * that the nonces of the window fit in memory.
 */
export const REQUEST_MAX_SKEW_MS = 5 * 60_000;

/** What an operator signs (domain `request`) for one HTTP request. */
export function requestStatement(
  method: string,
  pathAndQuery: string,
  timestamp: string,
  nonce: string,
  body: unknown,
): string {
  const bodyHash = sha256Hex(canonicalJson(body ?? null));
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${bodyHash}`;
}

/** The headers that sign one request as the operator of `keys`. */
export function signRequest(
  keys: KeyPair,
  method: string,
  pathAndQuery: string,
  body: unknown,
  now: number = Date.now(),
): Record<string, string> {
  const timestamp = String(now);
  const nonce = randomBytes(16).toString('hex');
  return {
    [OPERATOR_REQUEST_HEADERS.key]: keys.publicKey.toString('hex'),
    [OPERATOR_REQUEST_HEADERS.timestamp]: timestamp,
    [OPERATOR_REQUEST_HEADERS.nonce]: nonce,
    [OPERATOR_REQUEST_HEADERS.signature]: sign(
      keys,
      'request',
      requestStatement(method, pathAndQuery, timestamp, nonce, body),
    ),
  };
}
