/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and the content
 * hashes built on it. Two values that are equal as JSON have the same canonical
 * text and so the same hash, whatever the key order on the wire: this is what
 * exact verification compares and what EU ids and receipts are made of.
 */
import { createHash } from 'node:crypto';
import canonicalizeImpl from 'canonicalize';

const canonicalizeFn = canonicalizeImpl as unknown as (value: unknown) => string | undefined;

/** The RFC 8785 text of a JSON value. Throws on values JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  const text = canonicalizeFn(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash of a JSON value's canonical text, as lowercase hex. */
export function hashJson(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
