/**
 * The dependency checker (`npm run lint:deps`, part of `npm test`) fails on each rule of
 * the house: test/fixtures/house is a tree that breaks every rule once. The real tree is
 * checked by `npm run lint:deps` itself.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/house/', import.meta.url));
const depcruise = `${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`;

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

describe('the rules of the house', () => {
  it('fail the run on a cycle, a boundary crossed, or a sub-part reached past its index.ts', async () => {
    const args = [depcruise, 'src', '--config', `${root}.dependency-cruiser.cjs`, '--output-type'];
    const cruise = (output: string) =>
      promisify(execFile)(process.execPath, [...args, output], { cwd: fixture }).then(
        ({ stdout }) => ({ stdout, code: 0 }),
        (failed: { stdout: string; code: number }) => failed,
      );
    // As `npm run lint:deps` runs it: the exit status fails `npm test`.
    expect((await cruise('err')).code).toBeGreaterThan(0);
    const report = JSON.parse((await cruise('json')).stdout) as { summary: { violations: Violation[] } };
    const found = report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toEqual([
      'coordinator-sub-parts-meet-at-their-index: src/coordinator/engine/loop.ts -> src/coordinator/lifecycle/flow.ts',
      'no-cycles: src/coordinator/engine/index.ts -> src/coordinator/engine/loop.ts',
      'operator-talks-only-through-the-wire: src/operator/agent.ts -> src/coordinator/index.ts',
      'outside-meets-the-coordinator-at-its-faces: src/cli/main.ts -> src/coordinator/engine/loop.ts',
      'protocol-imports-nothing-of-ours: src/protocol/index.ts -> src/store/index.ts',
      'runtime-knows-nothing-of-the-network: src/runtime/sandbox.ts -> src/sim/net.ts',
      'store-imports-only-protocol: src/store/index.ts -> src/runtime/sandbox.ts',
    ]);
  });
});
