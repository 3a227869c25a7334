/**
 * Printing for the CLI: JSON when asked (or piped to a program), plain tables
 * for people, and errors as one line with their code.
 */
import { coerceError } from '../protocol/index.js';

export function fail(thrown: unknown): never {
  const error = coerceError(thrown);
  process.stderr.write(`corten: ${error.code}: ${error.message}\n`);
  const details = error.details as
    { issues?: { path: string; message: string }[]; problems?: { index: number; message: string }[] } | undefined;
  for (const issue of details?.issues ?? []) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
  for (const p of details?.problems?.slice(0, 10) ?? []) process.stderr.write(`  inputs[${p.index}]: ${p.message}\n`);
  process.exit(error.code === 'INTERNAL' ? 2 : 1);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table: columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return (
    cells
      .map((r) =>
        r
          .map((c, i) => (c ?? '').padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function printTable(headers: string[], rows: (string | number)[][]): void {
  process.stdout.write(table(headers, rows));
}

/** What a long-running command says on stderr when its stream to the coordinator breaks; it then resumes. */
export function reportDisconnect(info: {
  error: { message: string };
  delayMs: number;
  position: number | undefined;
}): void {
  const from = info.position === undefined ? 'now' : `after event ${info.position}`;
  process.stderr.write(
    `corten: lost the coordinator (${info.error.message}); reconnecting in ${info.delayMs} ms, resuming ${from}\n`,
  );
}
