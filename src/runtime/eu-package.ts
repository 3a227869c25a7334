/**
 * EU packages on disk and on the wire. An EU is a folder holding `eu.json`
 * (the manifest) and the JS modules it runs; the entry module (manifest
 * `entry`, `main.js` by default) exports `run(input, host)`. Here a package is
 * read, its manifest parsed with every invalid field named at once, and its
 * shape checked before anything is published or run.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { z } from 'zod';
import { CortenError, EuFiles, EuManifest, MAX_EU_PACKAGE_BYTES, euIdOf, type EuPackage } from '../protocol/index.js';
import { schemaProblems, type SchemaProblem } from './eu-schemas.js';

/** One invalid field of a manifest or package, by its dotted path (`verification.quorum`). */
export type FieldProblem = SchemaProblem;

/** File kinds a package may carry: modules, and JSON data the modules import. */
const PACKAGE_FILE = /\.(m?js|json)$/;
const MANIFEST_FILE = 'eu.json';

function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function zodProblems(error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const base = issuePath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        problems.push({ path: base === '' ? key : `${base}.${key}`, message: 'is not a manifest field' });
    } else {
      problems.push({ path: base === '' ? '(manifest)' : base, message: issue.message });
    }
  }
  return problems;
}

function invalid(problems: FieldProblem[], what = 'invalid manifest'): CortenError {
  const text = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return new CortenError('INVALID_MANIFEST', `${what}: ${text}`, { details: { fields: problems } });
}

/**
 * Parses and validates a manifest (the contents of `eu.json`), filling in
 * defaults. Also compiles `inputSchema` and `outputSchema` (JSON Schema
 * 2020-12, or draft-07 when their `$schema` says so). Throws
 * `INVALID_MANIFEST` whose message names every invalid field and whose
 * `details.fields` lists them as `{path, message}`.
 */
export function parseManifest(raw: unknown): EuManifest {
  const parsed = EuManifest.safeParse(raw);
  if (!parsed.success) throw invalid(zodProblems(parsed.error));
  const problems = schemaProblems(parsed.data);
  if (problems.length > 0) throw invalid(problems);
  return parsed.data;
}

/**
 * Checks a package's shape: file paths are relative and stay inside the
 * package, the total size is within `MAX_EU_PACKAGE_BYTES`, and the entry
 * module exists. Throws `INVALID_MANIFEST` naming the problem (`entry`,
 * `files["a/../b.js"]` …) or `PAYLOAD_TOO_LARGE`.
 */
export function checkPackage(pkg: { manifest: EuManifest; files: Record<string, string> }): void {
  const files = EuFiles.safeParse(pkg.files);
  if (!files.success) {
    throw invalid(
      files.error.issues.map((i) => ({
        path: `files${i.path.map((k) => `[${JSON.stringify(k)}]`).join('')}`,
        message: i.message,
      })),
      'invalid package',
    );
  }
  let bytes = 0;
  for (const text of Object.values(pkg.files)) bytes += Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_EU_PACKAGE_BYTES) {
    throw new CortenError(
      'PAYLOAD_TOO_LARGE',
      `the package's files hold ${bytes} bytes; the limit is ${MAX_EU_PACKAGE_BYTES}`,
    );
  }
  if (!Object.hasOwn(pkg.files, pkg.manifest.entry)) {
    throw invalid(
      [
        {
          path: 'entry',
          message: `the entry module "${pkg.manifest.entry}" is not among the package's files (${Object.keys(pkg.files).sort().join(', ') || 'none'})`,
        },
      ],
      'invalid package',
    );
  }
}

async function collectFiles(
  root: string,
  dir: string,
  files: Record<string, string>,
  budget: { bytes: number },
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    // Symbolic links are skipped: a package is what lies inside its folder.
    const info = await lstat(full);
    if (info.isDirectory()) {
      await collectFiles(root, full, files, budget);
      continue;
    }
    if (!info.isFile() || !PACKAGE_FILE.test(entry.name)) continue;
    const path = relative(root, full).split(sep).join('/');
    if (path === MANIFEST_FILE) continue;
    budget.bytes += info.size;
    if (budget.bytes > MAX_EU_PACKAGE_BYTES) {
      throw new CortenError(
        'PAYLOAD_TOO_LARGE',
        `the EU folder ${root} holds more than ${MAX_EU_PACKAGE_BYTES} bytes of .js/.mjs/.json files`,
      );
    }
    files[path] = await readFile(full, 'utf8');
  }
}

/**
 * Reads an EU folder: `eu.json` and every `.js`, `.mjs` and `.json` file
 * beneath it (by relative path, `/`-separated; hidden entries, `node_modules`
 * and symbolic links are skipped). The manifest is parsed and the package
 * checked; the result carries the EU's content address.
 */
export async function loadEuFolder(dir: string): Promise<EuPackage> {
  const manifestPath = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (cause) {
    throw new CortenError(
      'INVALID_MANIFEST',
      `${manifestPath} cannot be read: an EU folder needs an eu.json manifest`,
      { cause },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new CortenError('INVALID_MANIFEST', `${manifestPath} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  const manifest = parseManifest(raw);
  const files: Record<string, string> = {};
  await collectFiles(dir, dir, files, { bytes: 0 });
  checkPackage({ manifest, files });
  return { id: euIdOf(manifest, files), manifest, files };
}
