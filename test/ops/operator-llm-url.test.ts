/**
 * An operator started with an LLM backend: a base URL ending in /v1 works,
 * and a backend that fails its probe turns the capability off loudly.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath } from '../../src/sim/index.js';
import { startNetwork } from '../helpers/network.js';
import { tempDir } from '../helpers/temp.js';
import { startFakeLlm } from '../runtime/support.js';

describe('operator --llm-url', () => {
  it('accepts a base URL ending in /v1 and advertises llm.complete', async () => {
    const llm = await startFakeLlm(() => ({ content: 'ok' }));
    try {
      const { client, network } = await startNetwork('llm-v1', [
        { region: 'eu-west', args: ['--llm-url', `${llm.baseUrl}/v1`, '--llm-model', 'Qwen2.5'] },
      ]);
      const [operator] = await client.listOperators();
      expect(operator!.id).toBe(network.operators[0]!.operatorId);
      expect(operator!.resources.capabilities).toEqual(['llm.complete', 'llm:qwen2.5']);
      expect(llm.requests).toHaveLength(1);
    } finally {
      await llm.close();
    }
  });

  it('warns, naming the capability and the reason, when the probe fails', async () => {
    const broken = await startFakeLlm(() => ({ status: 503, text: 'warming up' }));
    const dir = tempDir('llm-warn');
    // No coordinator is needed: the probe and its warning come before the agent connects.
    const child = spawn(
      process.execPath,
      [
        cliPath(),
        'operator',
        '--coordinator',
        'http://127.0.0.1:9',
        '--region',
        'eu-west',
        '--key',
        join(dir.path, 'k.json'),
        '--capabilities',
        '',
        '--workers',
        '1',
        '--llm-url',
        `${broken.baseUrl}/v1`,
        '--llm-model',
        'm',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      let warning: { msg: string; capability: string; reason: string } | undefined;
      for await (const line of createInterface({ input: child.stderr })) {
        const entry = JSON.parse(line) as { level: number; msg: string; capability: string; reason: string };
        if (entry.capability !== undefined) {
          warning = entry;
          break;
        }
      }
      expect(warning).toMatchObject({
        capability: 'llm.complete',
        reason: expect.stringContaining('HTTP 503: warming up'),
      });
      const endpoint = `${broken.baseUrl}/v1/chat/completions`;
      expect(warning!.msg).toMatch(
        new RegExp(`^capability llm\\.complete is off: llm backend ${endpoint} answered HTTP 503`),
      );
    } finally {
      child.kill('SIGKILL');
      await broken.close();
      dir.cleanup(false);
    }
  });
});
