/**
 * The built-in EUs: ordinary EU folders (eu.json + plain JS run in the
 * sandbox) that the coordinator publishes at start like any developer's EU.
 * They are not compiled: they are read from `<package root>/src/eus/` at run
 * time, whether this module runs from `src/` or from `dist/src/`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, found by walking up from `from`. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

/** Absolute paths of the built-in EU folders (each holds an eu.json), in name order. */
export function builtinEuDirs(): string[] {
  const base = join(packageRoot(), 'src', 'eus');
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'eu.json')))
    .map((entry) => join(base, entry.name))
    .sort();
}
