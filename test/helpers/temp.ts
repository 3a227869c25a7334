import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder for one test; removed by `cleanup` unless the test failed (kept for its logs). */
export function tempDir(label: string): { path: string; cleanup: (failed: boolean) => void } {
  const path = mkdtempSync(join(tmpdir(), `corten-${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}-`));
  return {
    path,
    cleanup: (failed) => {
      if (failed) process.stderr.write(`kept ${path} for inspection\n`);
      else rmSync(path, { recursive: true, force: true });
    },
  };
}
