/**
 * `--store` URLs: a postgres:// URL names its schema (default `corten`), the
 * schema parameter is taken off before the driver sees it, and anything
 * else (hostile or mistaken) is refused with VALIDATION_FAILED, never with
 * a schema name that could break out of its quoting.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CortenError } from '../../src/protocol/index.js';
import { parseStoreUrl } from '../../src/store/index.js';

describe('store URLs', () => {
  it('reads the schema and strips it from the driver URL', () => {
    expect(parseStoreUrl('postgres://u@h:5432/db?schema=net_1')).toEqual({
      url: 'postgres://u@h:5432/db',
      schema: 'net_1',
    });
    expect(parseStoreUrl('postgresql://h/db').schema).toBe('corten');
  });

  it('refuses what is not a postgres URL or names a schema it cannot quote', () => {
    for (const bad of ['.data/x', 'mysql://h/db', 'postgres://h/db?schema=a;drop', 'postgres://h/db?schema=A"b']) {
      expect(() => parseStoreUrl(bad)).toThrow(CortenError);
    }
  });

  it('never yields an unsafe schema, whatever the input (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `postgres://h/db?schema=${s}`),
        ),
        (input) => {
          try {
            const { schema } = parseStoreUrl(input);
            expect(schema).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
          } catch (error) {
            expect(error).toBeInstanceOf(CortenError);
            expect((error as CortenError).code).toBe('VALIDATION_FAILED');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
