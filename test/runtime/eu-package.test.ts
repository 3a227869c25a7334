/**
 * EU packages: manifests parsed with every invalid field named, schemas
 * compiled into validators with readable messages, folders read from disk.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CortenError, MAX_EU_PACKAGE_BYTES, euIdOf, type EuManifest } from '../../src/protocol/index.js';
import { builtinEuDirs } from '../../src/eus/index.js';
import { checkPackage, compileSchemas, loadEuFolder, parseManifest } from '../../src/runtime/index.js';

function thrown(fn: () => unknown): CortenError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CortenError) return error;
    throw error;
  }
  throw new Error('expected a CortenError');
}

const minimal = { name: 'tiny', version: '1.0.0' };

describe('parseManifest', () => {
  it('fills in defaults', () => {
    const manifest = parseManifest(minimal);
    expect(manifest).toMatchObject({
      entry: 'main.js',
      timeoutMs: 10_000,
      verification: { policy: 'exact', quorum: 2, maxReplicas: 5 },
      requirements: { memoryMb: 64, capabilities: [] },
      inputSchema: {},
    });
  });

  it('names every invalid field at once, in the message and in details', () => {
    const error = thrown(() =>
      parseManifest({
        name: 'Not A Name',
        version: '1.0',
        verification: { policy: 'exact', quorum: 0 },
        requirements: { capabilities: ['NLP'] },
        colour: 'blue',
      }),
    );
    expect(error.code).toBe('INVALID_MANIFEST');
    const paths = (error.details as { fields: { path: string }[] }).fields.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['name', 'version', 'verification.quorum', 'requirements.capabilities[0]', 'colour']),
    );
    for (const path of ['name:', 'version:', 'verification.quorum:', 'requirements.capabilities[0]:', 'colour:'])
      expect(error.message).toContain(path);
  });

  it("checks the verification policy's own rules", () => {
    const error = thrown(() =>
      parseManifest({ ...minimal, verification: { policy: 'semantic', quorum: 3, maxReplicas: 2 } }),
    );
    const paths = (error.details as { fields: { path: string }[] }).fields.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['verification.threshold', 'verification.maxReplicas']));
  });

  it('reports a schema that does not compile as a field error', () => {
    const error = thrown(() =>
      parseManifest({ ...minimal, inputSchema: { type: 'strng' }, outputSchema: { type: 'object', requried: ['x'] } }),
    );
    expect(error.code).toBe('INVALID_MANIFEST');
    expect((error.details as { fields: { path: string }[] }).fields.map((f) => f.path)).toEqual([
      'inputSchema',
      'outputSchema',
    ]);
    expect(error.message).toContain('outputSchema: strict mode: unknown keyword: "requried"');
  });

  it('accepts draft-07 schemas that say so', () => {
    const manifest = parseManifest({
      ...minimal,
      inputSchema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'array',
        items: [{ type: 'string' }],
        additionalItems: false,
      },
    });
    const schemas = compileSchemas(manifest);
    expect(schemas.checkInput(['a'])).toBeNull();
    expect(schemas.checkInput(['a', 'b'])).toMatch(/^input: must NOT have more than 1 items/);
  });
});

describe('compileSchemas', () => {
  const manifest = parseManifest({
    ...minimal,
    inputSchema: {
      type: 'object',
      properties: {
        title: { type: 'string' },
        mail: { type: 'string', format: 'email' },
        items: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } },
        mode: { enum: ['fast', 'slow'] },
      },
      required: ['title'],
      additionalProperties: false,
    },
  });

  it('says where and what, for every problem', () => {
    const check = compileSchemas(manifest).validateInput({
      mail: 'nope',
      items: [{ n: 1 }, { n: 'two' }],
      mode: 'medium',
      'odd key': 1,
    });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.errors).toEqual(
      expect.arrayContaining([
        'input.title: is required',
        'input.mail: must match format "email"',
        'input.items[1].n: must be number',
        'input.mode: must be one of "fast", "slow"',
        'input["odd key"]: is not allowed',
      ]),
    );
    expect(check.message).toContain('input.items[1].n: must be number');
  });

  it('returns null for valid values and a message otherwise', () => {
    const schemas = compileSchemas(manifest);
    expect(schemas.checkInput({ title: 'ok', mail: 'a@b.example' })).toBeNull();
    expect(schemas.checkInput({ title: 3 })).toBe('input.title: must be string');
    expect(schemas.checkOutput('anything')).toBeNull();
  });

  it('caches validators by EU id', () => {
    expect(compileSchemas(manifest, 'eu_one')).toBe(compileSchemas(manifest, 'eu_one'));
    expect(compileSchemas(manifest, 'eu_two')).not.toBe(compileSchemas(manifest, 'eu_one'));
  });
});

describe('checkPackage', () => {
  const manifest: EuManifest = parseManifest(minimal);

  it('requires the entry module among the files', () => {
    const error = thrown(() => checkPackage({ manifest, files: { 'lib.js': '' } }));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toContain('entry');
    expect(error.message).toContain('lib.js');
  });

  it('refuses paths that leave the package', () => {
    const error = thrown(() => checkPackage({ manifest, files: { 'main.js': '', 'a/../../b.js': '' } }));
    expect(error.code).toBe('INVALID_MANIFEST');
  });

  it('refuses packages over the size limit', () => {
    const error = thrown(() => checkPackage({ manifest, files: { 'main.js': 'x'.repeat(MAX_EU_PACKAGE_BYTES + 1) } }));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('loadEuFolder', () => {
  const made: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'corten-eu-'));
    made.push(dir);
    return dir;
  };

  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the manifest and every module and JSON file, by relative path', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'eu.json'), JSON.stringify({ ...minimal, entry: 'index.mjs' }));
    writeFileSync(join(dir, 'index.mjs'), 'export function run() { return 1; }');
    writeFileSync(join(dir, 'lib', 'util.js'), 'export const u = 1;');
    writeFileSync(join(dir, 'lib', 'data.json'), '{"k": 1}');
    writeFileSync(join(dir, 'README.md'), '# not code');
    writeFileSync(join(dir, 'node_modules', 'dep.js'), 'export default 1;');
    const eu = await loadEuFolder(dir);
    expect(Object.keys(eu.files).sort()).toEqual(['index.mjs', 'lib/data.json', 'lib/util.js']);
    expect(eu.manifest.entry).toBe('index.mjs');
    expect(eu.id).toBe(euIdOf(eu.manifest, eu.files));
  });

  it('says when eu.json is not JSON', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'eu.json'), '{ name: tiny }');
    await expect(loadEuFolder(dir)).rejects.toMatchObject({
      code: 'INVALID_MANIFEST',
      message: expect.stringContaining('is not valid JSON'),
    });
  });

  it('loads every built-in EU', async () => {
    const dirs = builtinEuDirs();
    expect(dirs.map((d) => d.split('/').at(-1))).toEqual([
      'double',
      'llm-chat',
      'llm-summarize',
      'news-summarize',
      'sentiment',
      'text-embed',
    ]);
    for (const dir of dirs) {
      const eu = await loadEuFolder(dir);
      expect(eu.id).toMatch(/^eu_[0-9a-f]{64}$/);
    }
  });
});
