/**
 * The EU author's guide (docs/eu-guide.md) stays true: the files it shows
 * are the example's files, the example runs locally as the guide says and is
 * verified on a real network, every manifest field is described, and every
 * failure code in the code is explained.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CortenClient } from '../src/client/index.js';
import { ERROR_STATUS, EuManifest } from '../src/protocol/index.js';
import { EXECUTION_ERROR_CODES, loadEuFolder } from '../src/runtime/index.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const guide = readFileSync(join(root, 'docs', 'eu-guide.md'), 'utf8');
const EXAMPLE = 'examples/eus/keywords';

/** The fenced block that follows each `<!-- kind: label -->` marker. */
function blocks(kind: string): { label: string; body: string }[] {
  const pattern = new RegExp(`<!-- ${kind}: (.+?) -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\``, 'g');
  return [...guide.matchAll(pattern)].map((m) => ({ label: m[1]!, body: m[2]! }));
}

/** Every field path of an object schema, dotted (`verification.facts.grounded`), looking through defaults. */
function fieldPaths(schema: z.ZodType, prefix = ''): string[] {
  let inner: z.ZodType = schema;
  for (;;) {
    if (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
    else if (inner instanceof z.ZodPipe) inner = inner.in as z.ZodType;
    else break;
  }
  if (!(inner instanceof z.ZodObject) || prefix === 'inputSchema' || prefix === 'outputSchema') return [prefix];
  return Object.entries(inner.shape).flatMap(([key, field]) =>
    fieldPaths(field as z.ZodType, prefix ? `${prefix}.${key}` : key),
  );
}

const mentioned = (code: string) => guide.includes(`\`${code}\``);

describe('the EU guide', () => {
  it('shows the example EU exactly as it is in examples/', () => {
    const files = blocks('file');
    expect(files.map((f) => f.label).sort()).toEqual(
      ['eu.json', 'main.js', 'rank.js'].map((name) => `${EXAMPLE}/${name}`),
    );
    for (const { label, body } of files) expect(body, label).toBe(readFileSync(join(root, label), 'utf8'));
  });

  it('describes every manifest field', () => {
    const paths = fieldPaths(EuManifest);
    expect(paths).toContain('verification.facts.lazyBelow');
    expect(paths).toContain('requirements.regions');
    expect(paths.filter((p) => !mentioned(p))).toEqual([]);
  });

  it('explains every failure code the code has', () => {
    const failureReasons = /'task\.failed': \{[^}]*reason:\s*([^;]+);/.exec(
      readFileSync(join(root, 'src', 'protocol', 'events.ts'), 'utf8'),
    )![1]!;
    const reasons = [...failureReasons.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
    expect(reasons).toContain('unverifiable');
    expect(reasons).toContain('insufficient_balance');
    const codes = [...Object.keys(ERROR_STATUS), ...Object.keys(EXECUTION_ERROR_CODES), ...reasons];
    expect(codes.filter((c) => !mentioned(c))).toEqual([]);
    expect(mentioned('task.waiting') && mentioned('no_capable_operator')).toBe(true);
  });

  it('runs the example locally with corten eu run, printing the output the guide shows', async () => {
    const [command] = blocks('run');
    const [output] = blocks('output');
    expect(command!.label).toBe(`eu run ${EXAMPLE}`);
    const input = /--input '([^']+)'/.exec(command!.body)![1]!;
    const ran = await runCli(['eu', 'run', join(root, EXAMPLE), '--input', input]);
    expect(ran.code, ran.stderr).toBe(0);
    const line = JSON.parse(ran.stdout.trim()) as { ok: boolean; output: unknown; outputHash: string };
    expect(line.ok).toBe(true);
    expect(line.output).toEqual(JSON.parse(output!.body));

    const blank = await runCli(['eu', 'run', join(root, EXAMPLE), '--input', '{"text": "   "}']);
    expect(blank.code).toBe(1);
    expect(JSON.parse(blank.stdout.trim())).toMatchObject({ ok: false, error: { code: 'EU_THREW' } });
  });

  it('is verified on a real network, and a blank text fails as eu_error', async () => {
    const { network } = await startNetwork('eu-guide', [
      { region: 'eu-west', maxConcurrent: 2, workers: 1, capabilities: ['nlp'] },
      { region: 'us-east', maxConcurrent: 2, workers: 1, capabilities: ['nlp'] },
    ]);
    const admin = network.admin();
    const account = await admin.createAccount('me');
    await admin.deposit(account.id, 1000);
    const client = new CortenClient(network.url, { apiKey: account.apiKey });
    const pkg = await loadEuFolder(join(root, EXAMPLE));
    await client.publishEu({ manifest: pkg.manifest as unknown as Record<string, unknown>, files: pkg.files });
    const { taskIds, after } = await client.submitTasks('keywords', [
      { text: 'Operators sign results. Results are compared.', n: 2 },
      { text: '   ' },
    ]);
    const settled = await client.waitForTasks(taskIds, { after });
    expect([...settled.values()]).toEqual(['verified', 'failed']);
    const [good, blank] = await Promise.all(taskIds.map((id) => client.getTask(id)));
    expect(good!.verdict?.output).toEqual({
      keywords: [
        { term: 'results', count: 2 },
        { term: 'operators', count: 1 },
      ],
      sentences: 2,
    });
    expect(new Set(good!.assignments.map((a) => a.operatorId)).size).toBe(2);
    expect(blank!.failure?.reason).toBe('eu_error');
    expect(blank!.assignments.every((a) => a.errorCode === 'EU_THREW')).toBe(true);
    // price × quorum escrowed a task, and both tasks' operators paid: the EU's fault is not theirs.
    expect(await client.getAccount()).toMatchObject({ balance: 1000 - 2 * 2 * 2, escrow: 0 });
  });
});
