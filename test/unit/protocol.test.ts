import { describe, expect, it } from 'vitest';
import { canonicalJson, generateKeyPair, hashJson, identityId, sign, verify } from '../../src/protocol/index.js';

describe('canonical JSON', () => {
  it('is independent of key order and whitespace', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 'x' }] })).toBe('{"a":[1,{"c":"x","d":2}],"b":1}');
    expect(hashJson({ x: 1, y: 2 })).toBe(hashJson(JSON.parse('{ "y": 2,  "x": 1 }')));
    expect(hashJson({ x: 1 })).not.toBe(hashJson({ x: 2 }));
  });
});

describe('signatures', () => {
  it('verify for the right key, payload and domain only', () => {
    const keys = generateKeyPair();
    const pk = keys.publicKey.toString('hex');
    const sig = sign(keys, 'result', { a: 1 });
    expect(verify(pk, 'result', { a: 1 }, sig)).toBe(true);
    expect(verify(pk, 'result', { a: 2 }, sig)).toBe(false);
    expect(verify(pk, 'auth', { a: 1 }, sig)).toBe(false);
    expect(verify(generateKeyPair().publicKey.toString('hex'), 'result', { a: 1 }, sig)).toBe(false);
    expect(verify('zz', 'result', { a: 1 }, sig)).toBe(false);
    expect(identityId('op', pk)).toMatch(/^op_[0-9a-f]{20}$/);
  });
});
