/**
 * A store named by URL: `postgres://user@host:port/database?schema=name`
 * (or postgresql://). The schema parameter is ours, not libpq's, so it is
 * taken off before the URL reaches the driver; without it the schema is `corten`.
 */
import { CortenError } from '../protocol/index.js';

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

export function parseStoreUrl(value: string): { url: string; schema: string } {
  if (!isPostgresUrl(value)) {
    throw new CortenError('VALIDATION_FAILED', `--store ${value}: expected postgres://user@host:port/database`);
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new CortenError('VALIDATION_FAILED', `--store ${value} is not a URL`);
  }
  const schema = parsed.searchParams.get('schema') ?? 'corten';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new CortenError('VALIDATION_FAILED', `schema ${schema}: use lower-case letters, digits and _ (at most 63)`);
  }
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}
