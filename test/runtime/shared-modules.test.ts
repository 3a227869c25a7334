/**
 * Modules evaluated once per warm context and shared by its tasks: which
 * packages qualify, and that no task sees another's state either way — a
 * shared module's values are frozen and its bindings constant, and a package
 * that fools the host's scan is caught by the prelude's check and runs with
 * its modules evaluated for every task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { euIdOf, type EuPackage } from '../../src/protocol/index.js';
import { createRuntime, parseManifest, type SandboxRuntime } from '../../src/runtime/index.js';
import { planSharedModules } from '../../src/runtime/worker/shared-modules.js';

function eu(name: string, files: Record<string, string>): EuPackage {
  const manifest = parseManifest({ name, version: '1.0.0', entry: 'main.js', timeoutMs: 2_000 });
  return { id: euIdOf(manifest, files), manifest, files };
}

function shares(files: Record<string, string>): boolean {
  return planSharedModules(files, 'main.js') !== undefined;
}

/** Tries every way to leave state behind for the next task, and reports what it found left by the last one. */
const KEEPER = `import { attempt } from './attempt.js';
const SEEN = [];
export function run(input) {
  const found = [SEEN.length, run.last ?? null, helper.prototype.last ?? null, attempt.last ?? null];
  const tried = [
    attempt(() => SEEN.push(input.v)),
    attempt(() => { run.last = input.v; }),
    attempt(() => { helper.prototype.last = input.v; }),
    attempt(() => { attempt.last = input.v; }),
    attempt(() => { helper = () => input.v; }),
  ];
  return { found, tried, helper: helper() ?? null };
}
function helper() {}
`;
const ATTEMPT = `export function attempt(fn) {
  try {
    fn();
    return 'done';
  } catch (e) {
    return e.name;
  }
}
`;

/**
 * Read by a scan, `run` seems to span the whole module: it takes the `/` after
 * `if (input)` for a division and the backquotes for a template. QuickJS
 * reads a regular expression there, so `leak` and `g` are top-level
 * declarations: shared, `leak` would carry every input to the next task.
 */
const DISGUISED = `export function run(input) {
  if (input) /\`/.test('');
  return g(input);
}
let leak = [];
function g(input) { leak.push(input.v); return { seen: leak.length }; /\`/ }
`;

describe('which packages share their modules', () => {
  it('takes imports, plain functions and literal constants', () => {
    expect(shares({ 'main.js': KEEPER, 'attempt.js': ATTEMPT })).toBe(true);
    expect(shares({ 'main.js': `import data from './d.json';\nexport function run() { return data; }` })).toBe(false);
    expect(
      shares({
        'main.js': `import * as d from './d.json';\nexport function run() { return d.default; }`,
        'd.json': '{}',
      }),
    ).toBe(true);
  });

  it('refuses anything that can hold state or run code as the module loads', () => {
    const refused = [
      'let calls = 0;\nexport function run() { return ++calls; }',
      'var calls = 0;\nexport function run() { return ++calls; }',
      'const cache = new Map();\nexport function run() { return cache.size; }',
      'const box = { n: 0 };\nexport function run() { return box.n++; }',
      'class Counter {}\nexport function run() { return new Counter(); }',
      'export async function run() { return 1; }',
      'export function* run() { yield 1; }',
      'export function run() { return import.meta.url; }',
      "export function run() { return import('./other.js'); }",
      'function run() { return 1; }\nexport { run };',
      'export default function run() { return 1; }',
      'export function run() { return 1; }\nrun();',
      'await null;\nexport function run() { return 1; }',
    ];
    for (const source of refused) expect(shares({ 'main.js': source }), source).toBe(false);
    expect(shares({ 'main.js': "import { x } from '../outside.js';\nexport function run() { return x; }" })).toBe(
      false,
    );
    expect(shares({ 'main.js': "import { x } from './notes.txt';\nexport function run() { return x; }" })).toBe(false);
    expect(shares({ 'main.js': "import { x } from './absent.js';\nexport function run() { return x; }" })).toBe(false);
  });

  it('is fooled by a disguised module, which is why the prelude checks what QuickJS parsed', () => {
    expect(shares({ 'main.js': DISGUISED })).toBe(true);
  });
});

describe('isolation between tasks of a shared package', () => {
  let runtime: SandboxRuntime;
  let seq = 0;

  beforeAll(async () => {
    runtime = await createRuntime({ workers: 1, capabilities: { nlp: false, embed: false } });
  });

  afterAll(async () => {
    await runtime.close();
  });

  async function outputs(pkg: EuPackage, values: string[]): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const v of values) {
      const outcome = await runtime.execute({ eu: pkg, input: { v }, seed: `s${seq++}`, clock: 0 });
      if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
      results.push(outcome.output);
    }
    return results;
  }

  it('freezes every value and binding a task could leave something in', async () => {
    const keeper = eu('keeper', { 'main.js': KEEPER, 'attempt.js': ATTEMPT });
    const expected = {
      found: [0, null, null, null],
      tried: ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError'],
      helper: null,
    };
    expect(await outputs(keeper, ['first secret', 'second secret', 'third secret'])).toEqual([
      expected,
      expected,
      expected,
    ]);
  });

  it('evaluates a disguised module afresh for every task', async () => {
    const disguised = eu('disguised', { 'main.js': DISGUISED });
    expect(await outputs(disguised, ['a', 'b', 'c', 'd'])).toEqual([
      { seen: 1 },
      { seen: 1 },
      { seen: 1 },
      { seen: 1 },
    ]);
  });
});
