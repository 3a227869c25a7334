/**
 * Rules both sides apply alike live once, in src/protocol (issue 9, point 5):
 * the signed result statement, the output hash of an error, the statuses.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  hashJson,
  leafHash,
  outputHashOf,
  resultStatement,
  TASK_STATUSES,
  TERMINAL_TASK_STATUSES,
  verifyResult,
  buildBatch,
  signBatch,
  type WireAssignment,
} from '../../src/protocol/index.js';
import { TERMINAL_TASK_STATUSES as STORE_TERMINAL } from '../../src/store/index.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const wire: WireAssignment = {
  assignmentId: 'a_1',
  taskId: 't_1',
  euId: 'eu_x',
  attempt: 3,
  input: { n: 1 },
  inputHash: 'ih',
  seed: 'ab',
  clock: 1,
  leaseMs: 5000,
};

describe('result rules', () => {
  it('the statement an operator signs from its assignment is the one the coordinator rebuilds from its lease', () => {
    const outputHash = outputHashOf({ output: { y: 2 } });
    const signed = resultStatement(wire, outputHash);
    const fields = ['assignmentId', 'attempt', 'euId', 'inputHash', 'outputHash', 'taskId'];
    expect(Object.keys(signed).sort()).toEqual(fields);
    const lease = { assignmentId: 'a_1', taskId: 't_1', euId: 'eu_x', attempt: 3, inputHash: 'ih' };
    const leased = resultStatement(lease, outputHash);
    const keys = generateKeyPair();
    const { root, proofs } = buildBatch([leafHash(signed)]);
    const publicKey = keys.publicKey.toString('hex');
    const signature = signBatch(keys, root);
    expect(verifyResult(publicKey, leased, proofs[0]!, signature)).toBe(true);
    expect(verifyResult(publicKey, { ...leased, attempt: 2 }, proofs[0]!, signature)).toBe(false);
  });

  it('an error hashes by its code alone; an output by its canonical JSON', () => {
    expect(outputHashOf({ error: { code: 'EU_TIMEOUT' } })).toBe(outputHashOf({ error: { code: 'EU_TIMEOUT' } }));
    expect(outputHashOf({ error: { code: 'EU_TIMEOUT' } })).not.toBe(outputHashOf({ error: { code: 'EU_ERROR' } }));
    expect(outputHashOf({ output: { b: 1, a: 2 } })).toBe(hashJson({ a: 2, b: 1 }));
    expect(outputHashOf({})).toBe(hashJson(null));
  });

  it('the statuses are one list, the store takes them from protocol', () => {
    expect(TASK_STATUSES).toEqual(['pending', 'running', 'verifying', 'escalated', 'verified', 'failed']);
    expect(STORE_TERMINAL).toBe(TERMINAL_TASK_STATUSES);
  });

  it('no file outside src/protocol writes these rules again', () => {
    const twins = [
      { rule: 'output hash of an error', pattern: /hashJson\(\s*\{\s*error\b/ },
      { rule: 'the task statuses', pattern: /'pending'\s*\|\s*'running'|\[\s*'pending',\s*'running'/ },
      { rule: 'the assignment statuses', pattern: /'leased'\s*\|\s*'submitted'|\[\s*'leased',\s*'submitted'/ },
      { rule: 'the signed statement', pattern: /\bResultStatement\s*=\s*\{/ },
    ];
    const found: string[] = [];
    for (const file of sources('src')) {
      if (file.startsWith(join('src', 'protocol'))) continue;
      const text = readFileSync(file, 'utf8');
      for (const { rule, pattern } of twins) if (pattern.test(text)) found.push(`${relative('.', file)}: ${rule}`);
    }
    expect(found).toEqual([]);
  });
});
