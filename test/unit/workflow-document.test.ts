/**
 * Workflow documents in-process: the DAG (order, dependencies, cycles, unknown
 * steps, map rules), the content-addressed id, the semver ranges steps name
 * EUs by, pointer inputs and conditions, and fuzzing of the document parser:
 * whatever it is given, it answers a document or a CortenError that names a
 * field, and never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { satisfiesRange } from '../../src/coordinator/memory/index.js';
import { buildInput, compileWorkflow, conditionHolds } from '../../src/coordinator/workflows/index.js';
import { CortenError, WorkflowStep } from '../../src/protocol/index.js';

const doc = (steps: object[]) => ({ name: 'w', version: '1.0.0', steps });

function refusal(source: unknown): CortenError {
  try {
    compileWorkflow(source);
  } catch (thrown) {
    if (thrown instanceof CortenError) return thrown;
    throw thrown;
  }
  throw new Error('accepted');
}

describe('workflow documents', () => {
  it('orders steps after what they read, whatever the document order, and hashes the canonical document', () => {
    const steps = [
      { id: 'b', eu: 'x', input: { t: '/steps/a/t' } },
      { id: 'a', eu: 'x', input: '/input' },
      { id: 'c', eu: 'x', map: '/steps/b/list', maxItems: 3, input: { v: '/item', i: '/index' } },
    ];
    const compiled = compileWorkflow(doc(steps));
    expect(compiled.order.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(compiled.deps.get('c')).toEqual(['b']);
    expect(compiled.id).toMatch(/^wf_[0-9a-f]{40}$/);
    // Key order and YAML against JSON do not change the id; content does.
    const yaml = 'version: 1.0.0\nname: w\nsteps:\n' + steps.map((s) => `  - ${JSON.stringify(s)}\n`).join('');
    expect(compileWorkflow(yaml).id).toBe(compiled.id);
    expect(compileWorkflow(doc(steps.slice(1).concat(steps[0]!))).id).not.toBe(compiled.id);
  });

  it('refuses cycles, unknown and repeated steps, self reads, maps without maxItems and /item outside a map', () => {
    const cases: [object[], RegExp][] = [
      [
        [
          { id: 'a', eu: 'x', input: '/steps/b' },
          { id: 'b', eu: 'x', input: '/steps/a' },
        ],
        /cycle: a → b/,
      ],
      [[{ id: 'a', eu: 'x', input: '/steps/zz/t' }], /steps\.0\.input: reads unknown step 'zz'/],
      [[{ id: 'a', eu: 'x', input: '/steps/a' }], /reads its own output/],
      [
        [
          { id: 'a', eu: 'x' },
          { id: 'a', eu: 'x' },
        ],
        /steps\.1\.id: step id 'a' is repeated/,
      ],
      [[{ id: 'a', eu: 'x', map: '/input/l' }], /steps\.0\.maxItems: a map step declares maxItems/],
      [[{ id: 'a', eu: 'x', input: '/item' }], /steps\.0\.input: \/item exists only/],
      [[{ id: 'a', eu: 'x', map: '/item', maxItems: 2 }], /steps\.0\.map: \/item exists only/],
      [[{ id: 'a', eu: 'x', input: '/input/__proto__' }], /__proto__/],
      [[{ id: 'a', eu: 'x', input: '/other' }], /a pointer starts with/],
    ];
    for (const [steps, message] of cases) {
      const error = refusal(doc(steps));
      expect(error.code).toBe('WORKFLOW_INVALID');
      expect(error.message).toMatch(message);
    }
  });

  it('names the field of a shape error', () => {
    const error = refusal({ name: 'W!', version: 'one', steps: [{ id: 'a', eu: '', extra: 1 }] });
    expect(error.code).toBe('VALIDATION_FAILED');
    const paths = (error.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['document.name', 'document.version', 'document.steps.0.eu']));
    expect(refusal('a: [b').code).toBe('VALIDATION_FAILED');
  });

  it('matches semver ranges as steps name EUs', () => {
    const yes: [string, string][] = [
      ['1.1.0', '^1'],
      ['1.9.3', '^1.2.0'],
      ['1.2.9', '~1.2'],
      ['1.2.0', '1.2.0'],
      ['1.4.0', '1.x'],
      ['2.0.0', '*'],
      ['0.2.5', '^0.2.1'],
      ['3.0.0', '>=2.1.0'],
    ];
    const no: [string, string][] = [
      ['2.0.0', '^1'],
      ['1.1.0', '^1.2.0'],
      ['1.3.0', '~1.2'],
      ['1.2.1', '1.2.0'],
      ['0.3.0', '^0.2.1'],
      ['1.1.0-beta.1', '^1'],
      ['1.0.0', 'latest'],
    ];
    for (const [v, r] of yes) expect(satisfiesRange(v, r), `${v} in ${r}`).toBe(true);
    for (const [v, r] of no) expect(satisfiesRange(v, r), `${v} not in ${r}`).toBe(false);
  });

  it('builds inputs from pointers and literals, and evaluates one comparison without eval', () => {
    const scope = { input: { text: 'hi', n: 3 }, steps: { s: { score: 0.4, tags: [] } } };
    const step = WorkflowStep.parse({
      id: 'x',
      eu: 'e',
      input: { t: '/input/text', k: { value: 7 }, gone: '/input/no' },
    });
    expect(buildInput(step, scope)).toEqual({ t: 'hi', k: 7 });
    expect(conditionHolds({ pointer: '/steps/s/score', op: 'gt', value: 0.3 }, scope)).toBe(true);
    expect(conditionHolds({ pointer: '/steps/s/score', op: 'lte', value: 0.3 }, scope)).toBe(false);
    expect(conditionHolds({ pointer: '/steps/s/score', op: 'gt', value: '0.3' }, scope)).toBe(false);
    expect(conditionHolds({ pointer: '/input/text', op: 'eq', value: 'hi' }, scope)).toBe(true);
    expect(conditionHolds({ pointer: '/steps/s/tags', op: 'truthy' }, scope)).toBe(false);
    expect(conditionHolds({ pointer: '/steps/none', op: 'exists' }, scope)).toBe(false);
  });

  it('answers any input with a document or a CortenError naming a field (fuzz)', () => {
    const stepish = fc.record(
      {
        id: fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.string()),
        eu: fc.oneof(fc.constant('x@^1'), fc.string()),
        input: fc.oneof(fc.constantFrom('/input', '/steps/a', '/steps/b/x', '/item', '/steps/c'), fc.jsonValue()),
        map: fc.constantFrom('/input/l', '/steps/a', 3),
        maxItems: fc.oneof(fc.integer({ min: -1, max: 2000 }), fc.string()),
        when: fc.oneof(fc.record({ pointer: fc.constantFrom('/steps/a', 'x'), op: fc.string() }), fc.jsonValue()),
      },
      { requiredKeys: ['id', 'eu'] },
    );
    const documents = fc.oneof(
      fc.record({ name: fc.constantFrom('w', 'W'), version: fc.constantFrom('1.0.0', '1'), steps: fc.array(stepish) }),
      fc.jsonValue(),
      fc.string(),
    );
    fc.assert(
      fc.property(documents, (source) => {
        try {
          const compiled = compileWorkflow(source);
          expect(compiled.order).toHaveLength(compiled.document.steps.length);
        } catch (thrown) {
          expect(thrown).toBeInstanceOf(CortenError);
          const error = thrown as CortenError;
          expect(['VALIDATION_FAILED', 'WORKFLOW_INVALID']).toContain(error.code);
          const issues = (error.details as { issues: { path: string }[] }).issues;
          expect(issues.length).toBeGreaterThan(0);
          for (const issue of issues) expect(issue.path).toMatch(/^document/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
