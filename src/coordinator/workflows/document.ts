/**
 * Workflow documents: parsing (YAML or JSON text, or an object), validation
 * with errors that name the field, and the DAG the steps form. A step depends
 * on every step its pointers read (`/steps/<id>/…` in its input, map or
 * condition); a pointer to an unknown step, a cycle, a map without `maxItems`
 * or `/item` outside a map step are refused.
 */
import { parse as parseYaml } from 'yaml';
import {
  CortenError,
  MAX_VALUE_DEPTH,
  valueTooDeep,
  WorkflowDocument,
  workflowIdOf,
  type WorkflowStep,
} from '../../protocol/index.js';

/** Object keys a pointer may not walk through: they reach JavaScript's prototypes, not data. */
const FORBIDDEN_TOKENS = new Set(['__proto__', 'constructor', 'prototype']);

/** A validated document with its id and the DAG of its steps. */
export interface CompiledWorkflow {
  id: string;
  document: WorkflowDocument;
  /** Steps in an order where every step comes after the steps it reads. */
  order: WorkflowStep[];
  /** The steps each step reads, by step id. */
  deps: Map<string, string[]>;
}

export interface Issue {
  path: string;
  message: string;
}

function invalid(code: 'VALIDATION_FAILED' | 'WORKFLOW_INVALID', issues: Issue[]): CortenError {
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : '';
  return new CortenError(code, `invalid workflow document: ${summary}${more}`, { details: { issues } });
}

/** Reads a document given as YAML or JSON text, or as an object. */
export function readDocument(source: unknown): unknown {
  if (typeof source !== 'string') return source;
  try {
    // YAML is a superset of JSON: one parser reads both. Aliases are capped so a small text cannot expand hugely.
    return parseYaml(source, { maxAliasCount: 50 }) as unknown;
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    throw invalid('VALIDATION_FAILED', [{ path: 'document', message: `not YAML or JSON: ${message}` }]);
  }
}

/** Validates a document and builds its DAG; throws VALIDATION_FAILED (shape) or WORKFLOW_INVALID (graph). */
export function compileWorkflow(source: unknown): CompiledWorkflow {
  const raw = readDocument(source);
  if (valueTooDeep(raw, MAX_VALUE_DEPTH)) {
    throw invalid('VALIDATION_FAILED', [{ path: 'document', message: `nests deeper than ${MAX_VALUE_DEPTH} levels` }]);
  }
  const parsed = WorkflowDocument.safeParse(raw);
  if (!parsed.success) {
    throw invalid(
      'VALIDATION_FAILED',
      parsed.error.issues.map((i) => ({ path: ['document', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  const document = parsed.data;
  const issues: Issue[] = [];
  const index = new Map<string, number>();
  document.steps.forEach((step, i) => {
    if (index.has(step.id))
      issues.push({ path: `document.steps.${i}.id`, message: `step id '${step.id}' is repeated` });
    else index.set(step.id, i);
  });
  const deps = new Map<string, string[]>();
  document.steps.forEach((step, i) => {
    const reads = new Set<string>();
    const at = `document.steps.${i}`;
    const check = (pointer: string, path: string) => {
      const tokens = pointer.split('/').slice(1);
      if (tokens.some((t) => FORBIDDEN_TOKENS.has(t))) {
        issues.push({ path, message: 'a pointer may not name __proto__, constructor or prototype' });
        return;
      }
      const [head, id] = tokens;
      if (head === 'steps') {
        if (id === undefined || id === '') issues.push({ path, message: 'a /steps pointer names a step' });
        else if (!index.has(id)) issues.push({ path, message: `reads unknown step '${id}'` });
        else if (id === step.id) issues.push({ path, message: `step '${id}' reads its own output` });
        else reads.add(id);
      } else if (head === 'item' || head === 'index') {
        if (step.map === undefined || !path.includes('.input'))
          issues.push({ path, message: `/${head} exists only inside a map step's input` });
      } else if (head !== 'input') {
        issues.push({ path, message: 'a pointer starts with /input, /steps/<id>, /item or /index' });
      }
    };
    for (const [pointer, path] of stepPointers(step, at)) check(pointer, path);
    if (step.map !== undefined && step.maxItems === undefined)
      issues.push({
        path: `${at}.maxItems`,
        message: 'a map step declares maxItems (escrow reserves that many tasks)',
      });
    if (step.map === undefined && step.maxItems !== undefined)
      issues.push({ path: `${at}.maxItems`, message: 'maxItems applies to a map step only' });
    deps.set(step.id, [...reads]);
  });
  if (issues.length > 0) throw invalid('WORKFLOW_INVALID', issues);
  const order = topological(document.steps, deps);
  if (!order) {
    const cycle = document.steps.filter((s) => !acyclicIds(document.steps, deps).has(s.id)).map((s) => s.id);
    throw invalid('WORKFLOW_INVALID', [
      { path: 'document.steps', message: `steps form a cycle: ${cycle.join(' → ')}` },
    ]);
  }
  return { id: workflowIdOf(document), document, order, deps };
}

/** Every pointer a step reads, with the field it sits in. */
function stepPointers(step: WorkflowStep, at: string): [string, string][] {
  const out: [string, string][] = [];
  if (typeof step.input === 'string') out.push([step.input, `${at}.input`]);
  else
    for (const [field, value] of Object.entries(step.input))
      if (typeof value === 'string') out.push([value, `${at}.input.${field}`]);
  if (step.map !== undefined) out.push([step.map, `${at}.map`]);
  if (step.when) out.push([step.when.pointer, `${at}.when.pointer`]);
  return out;
}

/** Kahn's order, keeping the document's order among ready steps; null on a cycle. */
function topological(steps: WorkflowStep[], deps: Map<string, string[]>): WorkflowStep[] | null {
  const done = new Set<string>();
  const order: WorkflowStep[] = [];
  while (order.length < steps.length) {
    const next = steps.find((s) => !done.has(s.id) && deps.get(s.id)!.every((d) => done.has(d)));
    if (!next) return null;
    done.add(next.id);
    order.push(next);
  }
  return order;
}

function acyclicIds(steps: WorkflowStep[], deps: Map<string, string[]>): Set<string> {
  const done = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of steps)
      if (!done.has(s.id) && deps.get(s.id)!.every((d) => done.has(d))) {
        done.add(s.id);
        grew = true;
      }
  }
  return done;
}
