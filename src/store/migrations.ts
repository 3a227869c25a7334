/**
 * Numbered, append-only SQL migrations (`NNN_name.sql` in ./migrations).
 * Each one runs in its own transaction that first records the migration's
 * row, so two coordinators starting at once cannot both apply it: the second
 * blocks on the write lock, then finds the row and skips.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(`${dir}/${file}`, 'utf8'),
    }));
  // Numbers are handed out to parallel branches up front, so a branch may lack
  // the numbers before its own for a while: gaps are allowed, a number used twice is not.
  migrations.forEach((m, i) => {
    const before = migrations[i - 1];
    if (before && before.version === m.version) {
      throw new Error(`migrations ${before.name} and ${m.name} share the number ${m.version}`);
    }
  });
  return migrations;
}
