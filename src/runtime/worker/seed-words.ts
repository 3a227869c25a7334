/**
 * The state a task's `Math.random` (sfc32) starts from, derived from its
 * seed: the first 128 bits of the seed's SHA-256 (over its UTF-8 bytes, read
 * as little-endian words), run through the generator's warm-up. Every
 * replica of a task, on any operator, must draw the same numbers, so this is
 * fixed by the protocol: change it and replicas on different versions
 * disagree.
 *
 * Seeds are short (a task's is 32 hex digits), and for so little input a
 * `Hash` object costs far more than the hashing: Node's one-shot
 * `crypto.hash` (20.12 and later) takes under 1 µs where `createHash` takes
 * 2–5 µs. (A SHA-256 in plain JavaScript was measured too: 20% faster than
 * `crypto.hash` for these seeds, not worth a hand-written hash.)
 */
import * as crypto from 'node:crypto';

/** Outputs discarded after seeding sfc32, as its author recommends, so that similar seeds diverge. */
const SFC32_WARM_UP = 12;

type OneShotHash = (algorithm: string, data: string, outputEncoding: 'buffer') => Buffer;
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

/** SHA-256 of the UTF-8 bytes of `text`. */
const sha256: (text: string) => Buffer =
  oneShot !== undefined
    ? (text) => oneShot('sha256', text, 'buffer')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest();

/**
 * The four 32-bit words of sfc32's state for a task, already warmed up here
 * (cheaper than inside the sandbox). The prelude's `random` continues from
 * this state.
 */
export function seedWords(seed: string): [number, number, number, number] {
  const digest = sha256(seed);
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  for (let i = 0; i < SFC32_WARM_UP; i++) {
    const t = (((a + b) | 0) + d + 1) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
  }
  return [a >>> 0, b >>> 0, c >>> 0, d >>> 0];
}
