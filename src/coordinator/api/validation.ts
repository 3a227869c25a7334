/**
 * Boundary validation: a zod schema turns untrusted input into a typed value,
 * or into a VALIDATION_FAILED error that names every offending field.
 */
import type { z } from 'zod';
import { CortenError } from '../../protocol/index.js';

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  throw new CortenError(
    'VALIDATION_FAILED',
    `invalid ${where}: ${summary}${issues.length > 3 ? ` (+${issues.length - 3} more)` : ''}`,
    { details: { issues } },
  );
}
