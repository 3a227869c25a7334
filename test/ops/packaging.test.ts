/**
 * The package as a user gets it: `npm pack`, installed into a fresh project
 * by npm, gives a working `corten` command (built-in EUs and migrations
 * included) and a typed `corten/client` SDK, and ships no tests.
 *
 * The install uses the repository's own lockfile for the dependencies, so it
 * needs nothing but the npm cache that `npm ci` filled (`--prefer-offline`),
 * and skips install scripts: the one native addon that compiles (the SQLite
 * driver) is copied from this checkout's build instead of compiled again.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import { packageRoot } from '../../src/sim/index.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const root = packageRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: unknown;
  dependencies: Record<string, string>;
};
const dir = tempDir('packaging');
const project = join(dir.path, 'project');
const installed = join(project, 'node_modules', 'corten');
const bin = join(project, 'node_modules', '.bin', 'corten');
let files: string[] = [];

beforeAll(async () => {
  // The tarball of the current build (the test suite builds first); prepack would rebuild it.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir.path], {
    cwd: root,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  files = packed!.files.map((f) => f.path);
  const tarball = `file:../${packed!.filename}`;

  // A project that depends on the tarball, locked to the dependency versions this repository is tested with.
  type Lock = { packages: Record<string, { dev?: boolean; link?: boolean }> };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lock;
  const packages: Record<string, unknown> = { '': { name: 'corten-install-check', dependencies: { corten: tarball } } };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && !entry.dev && !entry.link) packages[path] = entry;
  }
  packages['node_modules/corten'] = {
    version: pkg.version,
    resolved: tarball,
    license: pkg.license,
    bin: pkg.bin,
    engines: pkg.engines,
    dependencies: pkg.dependencies,
  };
  mkdirSync(project);
  const name = 'corten-install-check';
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name, private: true, type: 'module', dependencies: { corten: tarball } }),
  );
  writeFileSync(
    join(project, 'package-lock.json'),
    JSON.stringify({ name, lockfileVersion: 3, requires: true, packages }),
  );
  await run('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project });
  const addon = join('better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  mkdirSync(join(project, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
  copyFileSync(join(root, 'node_modules', addon), join(project, 'node_modules', addon));
}, 120_000);

afterAll(() => dir.cleanup(false));

describe('the package', () => {
  it('ships the built code, its declarations, migrations, built-in EUs and examples, and no tests or sources', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        pkg.bin.corten!,
        'dist/src/client/index.js',
        'dist/src/client/index.d.ts',
        'dist/src/store/migrations/001_core.sql',
        'src/eus/news-summarize/eu.json',
        'src/eus/news-summarize/main.js',
        'examples/articles.jsonl',
        'dist/web/index.html',
        'package.json',
        'README.md',
      ]),
    );
    const unwanted = (f: string) =>
      /^(test|bench|dist\/bench)\//.test(f) || /(?<!\.d)\.ts$/.test(f) || f.endsWith('.map');
    expect(files.filter(unwanted)).toEqual([]);
  });

  it('installs a working corten command', async () => {
    const { stdout } = await run(bin, ['--help']);
    expect(stdout).toContain('Usage: corten');
    const wait = await run(bin, ['task', 'wait', '--help']);
    expect(wait.stdout).toContain('wait until every given task is verified or failed');
  });

  it('runs as npx corten from the repository after a build', async () => {
    const { stdout } = await run('npx', ['--no-install', 'corten', '--help'], { cwd: root });
    expect(stdout).toContain('Usage: corten');
  });

  it('runs a coordinator from the installed package, with its migrations, built-in EUs and dashboard', async () => {
    const args = ['coordinator', '--port', '0', '--data', join(dir.path, 'data'), '--log-level', 'warn'];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let url = '';
      for await (const line of createInterface({ input: child.stdout })) {
        url = /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
        if (url) break;
      }
      const names = (await new CortenClient(url).listEus()).map((eu) => eu.name).sort();
      expect(names).toEqual(['double', 'llm-chat', 'llm-summarize', 'news-summarize', 'sentiment', 'text-embed']);
      // The dashboard, from the package's own built files.
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<div id="app">');
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect((await fetch(`${url}${script}`)).status).toBe(200);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exports a typed corten/client SDK', async () => {
    writeFileSync(
      join(project, 'check.ts'),
      `import { CortenClient, SDK_OPERATIONS, type ChatCompletionChunk, type FollowOptions } from 'corten/client';
import { CortenClient as Root } from 'corten';

const client: CortenClient = new Root('http://127.0.0.1:7070');
const options: FollowOptions = { maxDelayMs: 1000 };
export async function settle(ids: string[]): Promise<number> {
  const settled: Map<string, 'verified' | 'failed'> = await client.waitForTasks(ids, options);
  for await (const event of client.follow({ types: ['task.verified'] }, options)) return event.seq;
  // @ts-expect-error getTask takes a task id string: proves the types are real, not any
  await client.getTask(42);
  return settled.size;
}
export async function ask(question: string): Promise<string> {
  const messages = [{ role: 'user' as const, content: question }];
  const { body, taskId } = await client.createChatCompletion({ model: 'llm-chat', messages });
  const receipt: string = body.corten.receipt_url;
  const stream = await client.streamChatCompletion({ model: 'llm-chat', messages });
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const models: string[] = (await client.listModels()).map((m) => m.id);
  // @ts-expect-error a chat request needs its messages
  await client.createChatCompletion({ model: 'llm-chat' });
  const methods: readonly string[] = SDK_OPERATIONS.createChatCompletion ?? [];
  return [taskId, stream.taskId, receipt, body.choices[0]!.message.content, ...models, ...methods].join(' ');
}
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          // skipLibCheck, as most projects set it: the declarations still type check.ts, in a fraction of the time.
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          // A Node SDK's users have Node's types; borrow this checkout's.
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project })).resolves.toBeDefined();
    const probe =
      "const m = await import('corten/client'); console.log(typeof m.CortenClient, m.SDK_OPERATIONS.listModels[0])";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: project });
    expect(stdout.trim()).toBe('function listModels');
    expect(existsSync(join(installed, 'dist', 'src', 'client', 'client.d.ts'))).toBe(true);
  });
});
