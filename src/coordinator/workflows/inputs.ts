/**
 * What a step reads: JSON Pointers over its scope `{ input, steps: { <id>: output } }`
 * (plus `item` and `index` inside a map step), the input it builds from them, and
 * its condition: one comparison, evaluated without any expression language.
 */
import jsonpointer from 'jsonpointer';
import { canonicalJson, type StepCondition, type WorkflowStep } from '../../protocol/index.js';

export interface StepScope {
  input: unknown;
  steps: Record<string, unknown>;
  item?: unknown;
  index?: number;
}

/** The value at `pointer` in `scope`; undefined when the path does not exist. */
export function read(scope: StepScope, pointer: string): unknown {
  try {
    return jsonpointer.get(scope, pointer) as unknown;
  } catch {
    return undefined;
  }
}

/** Builds a step's input from its scope; missing values are left out of an object input. */
export function buildInput(step: WorkflowStep, scope: StepScope): unknown {
  if (typeof step.input === 'string') return read(scope, step.input);
  const out: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(step.input)) {
    const value = typeof spec === 'string' ? read(scope, spec) : spec.value;
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/** Whether a step's condition holds in its scope. Comparisons of unlike types are false. */
export function conditionHolds(when: StepCondition, scope: StepScope): boolean {
  const actual = read(scope, when.pointer);
  const expected = when.value;
  switch (when.op) {
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'truthy':
      return Boolean(actual) && !(Array.isArray(actual) && actual.length === 0);
    case 'eq':
      return same(actual, expected);
    case 'ne':
      return !same(actual, expected);
    default: {
      const ordered =
        (typeof actual === 'number' && typeof expected === 'number') ||
        (typeof actual === 'string' && typeof expected === 'string');
      if (!ordered) return false;
      const a = actual as number | string;
      const b = expected as number | string;
      if (when.op === 'gt') return a > b;
      if (when.op === 'gte') return a >= b;
      if (when.op === 'lt') return a < b;
      return a <= b;
    }
  }
}

function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}
