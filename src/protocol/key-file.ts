/**
 * Key files: a small JSON document holding an Ed25519 seed, written with mode
 * 0600. Loading a missing file creates it, so `corten operator --key FILE`
 * gives a new operator its identity on first start and keeps it afterwards.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CortenError } from './errors.js';
import { generateKeyPair, keyPairFromSeed, seedOf, type KeyPair } from './signing.js';

const KeyFileSchema = z.object({
  type: z.literal('ed25519'),
  publicKey: z.string().regex(/^[0-9a-f]{64}$/),
  seed: z.string().regex(/^[0-9a-f]{64}$/),
});

export function loadOrCreateKeyFile(path: string): { keys: KeyPair; created: boolean } {
  if (!existsSync(path)) {
    const keys = generateKeyPair();
    mkdirSync(dirname(path), { recursive: true });
    const doc = { type: 'ed25519', publicKey: keys.publicKey.toString('hex'), seed: seedOf(keys).toString('hex') };
    writeFileSync(path, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    return { keys, created: true };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new CortenError('VALIDATION_FAILED', `key file ${path} is not valid JSON`, { cause });
  }
  const doc = KeyFileSchema.safeParse(parsed);
  if (!doc.success)
    throw new CortenError(
      'VALIDATION_FAILED',
      `key file ${path} is not an ed25519 key file: ${doc.error.issues[0]?.message}`,
    );
  const keys = keyPairFromSeed(Buffer.from(doc.data.seed, 'hex'));
  if (keys.publicKey.toString('hex') !== doc.data.publicKey) {
    throw new CortenError('VALIDATION_FAILED', `key file ${path}: the public key does not match the seed`);
  }
  return { keys, created: false };
}
