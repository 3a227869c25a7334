/**
 * EU publishing through the CLI against a real coordinator, built-in EUs, and
 * capability matching between EUs and operators.
 */
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { cliPath, packageRoot, type LocalNetwork } from '../src/sim/index.js';
import { startNetwork } from './helpers/network.js';

const run = promisify(execFile);

/** Runs the CLI as the network's admin (publishing needs a key or the admin token). */
async function corten(
  network: LocalNetwork,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const env = { ...process.env, CORTEN_URL: network.url, CORTEN_ADMIN_TOKEN: network.adminToken };
    const { stdout, stderr } = await run(process.execPath, [cliPath(), ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('EU publishing', () => {
  it('publishes, lists and shows an EU folder with the CLI; the same version with other content is refused', async () => {
    const { client, dir, network } = await startNetwork('eu-cli', []);
    const folder = join(dir, 'double');
    cpSync(join(packageRoot(), 'src', 'eus', 'double'), folder, { recursive: true });

    const published = await corten(network, 'eu', 'publish', folder);
    expect(published.code).toBe(0);
    expect(published.stdout).toMatch(/published double@1\.0\.0 as eu_[0-9a-f]{64}/);
    const again = await corten(network, 'eu', 'publish', folder);
    expect(again.stdout).toMatch(/already published/);

    const listed = await corten(network, 'eu', 'list');
    expect(listed.stdout).toMatch(/double\s+1\.0\.0/);
    const shown = await corten(network, 'eu', 'show', 'double@1.0.0');
    const view = JSON.parse(shown.stdout) as {
      name: string;
      manifest: { verification: { quorum: number } };
      files: string[];
    };
    expect(view.name).toBe('double');
    expect(view.files).toContain('main.js');

    writeFileSync(join(folder, 'main.js'), readFileSync(join(folder, 'main.js'), 'utf8') + '\n// changed\n');
    const conflict = await corten(network, 'eu', 'publish', folder);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/EU_VERSION_CONFLICT/);
    expect((await client.listEus()).filter((e) => e.name === 'double')).toHaveLength(1);
  });

  it('refuses an invalid manifest naming each bad field', async () => {
    const { network } = await startNetwork('eu-bad', []);
    const response = await fetch(`${network.url}/v1/eus`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${network.adminToken}` },
      body: JSON.stringify({
        manifest: { name: 'Bad Name', version: '1', verification: { quorum: 3, maxReplicas: 2 } },
        files: { 'main.js': '' },
      }),
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INVALID_MANIFEST');
    for (const field of ['name', 'version', 'verification.maxReplicas']) expect(body.error.message).toContain(field);
  });
});

describe('built-in EUs and capabilities', () => {
  it('publishes the built-in EUs at start and sends nlp work only to operators that offer nlp', async () => {
    const { client, log, network } = await startNetwork(
      'builtins',
      [
        { region: 'r1', maxConcurrent: 2, workers: 1, capabilities: [] },
        { region: 'r2', maxConcurrent: 2, workers: 1, capabilities: ['nlp'] },
        { region: 'r3', maxConcurrent: 2, workers: 1, capabilities: ['nlp'] },
      ],
      { builtinEus: true },
    );
    const names = (await client.listEus()).map((e) => e.name).sort();
    expect(names).toEqual(expect.arrayContaining(['double', 'llm-summarize', 'news-summarize', 'sentiment']));
    const ops = await client.listOperators();
    const plain = network.operators.find((o) => o.spec.capabilities?.length === 0)!.operatorId;
    expect(ops.find((o) => o.id === plain)!.resources.capabilities).toEqual([]);
    expect(ops.filter((o) => o.resources.capabilities.includes('nlp'))).toHaveLength(2);

    // news-summarize is priced: a developer account pays for it.
    const account = await network.admin().createAccount('newsroom');
    await network.admin().deposit(account.id, 1000);
    const developer = new CortenClient(network.url, { apiKey: account.apiKey });
    const article = JSON.parse(
      readFileSync(join(packageRoot(), 'examples', 'articles.jsonl'), 'utf8').split('\n')[0]!,
    ) as { title: string; text: string };
    const { taskIds } = await developer.submitTasks('news-summarize', [article, { ...article, sentences: 2 }]);
    await log.waitForSettled(taskIds);
    const assigned = log.events.filter((e) => e.type === 'task.assigned' && taskIds.includes(e.taskId!));
    expect(assigned.length).toBeGreaterThanOrEqual(4);
    expect(assigned.every((e) => e.operatorId !== plain)).toBe(true);
    const task = await client.getTask(taskIds[1]!);
    expect(task.status).toBe('verified');
    expect((task.verdict!.output as { summary: string[] }).summary).toHaveLength(2);
  });
});
