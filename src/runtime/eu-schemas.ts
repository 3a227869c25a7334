/**
 * Compiles an EU's input and output JSON Schemas into validators whose
 * messages name the offending place (`input.title: must be string`). The
 * coordinator uses them at submission, the sandbox around every execution.
 *
 * Dialect: JSON Schema 2020-12 by default. A schema whose `$schema` names
 * draft-07 is compiled as draft-07, so schemas written for older tools work
 * unchanged. Formats (`date-time`, `email`, `uri` …) are checked through
 * ajv-formats; an unknown keyword or format is a schema error (ajv's strict
 * schema mode), because a misspelt `requried` silently validating nothing is
 * worse than a clear complaint at publication.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { CortenError, hashJson, type EuManifest } from '../protocol/index.js';

/** The result of checking a value against a schema. */
export type SchemaCheck = { ok: true } | { ok: false; errors: string[]; message: string };

export interface EuSchemas {
  validateInput(value: unknown): SchemaCheck;
  validateOutput(value: unknown): SchemaCheck;
  /** The input's problems as one message (`input.title: must be string`), or null when it is valid. */
  checkInput(value: unknown): string | null;
  /** The output's problems as one message, or null when it is valid. */
  checkOutput(value: unknown): string | null;
}

/** A problem found in a schema document, located inside the manifest (`inputSchema.properties.n`). */
export interface SchemaProblem {
  path: string;
  message: string;
}

const DRAFT_07 = /json-schema\.org\/draft-07\/schema/;
/** Validators kept per EU; a coordinator or worker rarely sees more EUs than this at once. */
const CACHE_LIMIT = 256;
/** Messages beyond this many are summarized; a person reads the first few. */
const MAX_MESSAGES = 20;

type FormatsPlugin = (ajv: Ajv | Ajv2020) => unknown;
const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ??
  formatsModule) as unknown as FormatsPlugin;

function newAjv<T extends Ajv | Ajv2020>(make: () => T): T {
  const ajv = make();
  addFormats(ajv);
  return ajv;
}

const ajvOptions = {
  allErrors: true,
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  logger: false as const,
  // Each EU's schemas are compiled once and cached by EU id, so a schema's $id
  // must not clash with another EU's: ids are scoped to their own document.
  addUsedSchema: false,
};

let ajv2020: Ajv2020 | undefined;
let ajv07: Ajv | undefined;

function ajvFor(schema: Record<string, unknown>): Ajv | Ajv2020 {
  if (typeof schema.$schema === 'string' && DRAFT_07.test(schema.$schema)) {
    ajv07 ??= newAjv(() => new Ajv(ajvOptions));
    return ajv07;
  }
  ajv2020 ??= newAjv(() => new Ajv2020(ajvOptions));
  return ajv2020;
}

/** `/items/0/my~1key` → `items[0]["my/key"]`, appended to `root`. */
export function pointerToPath(root: string, pointer: string): string {
  if (pointer === '') return root;
  let path = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) path += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) path += `.${key}`;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}

function describe(root: string, error: ErrorObject): string {
  const at = pointerToPath(root, error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    return `${pointerToPath(at, `/${params.missingProperty}`)}: is required`;
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `${pointerToPath(at, `/${params.additionalProperty}`)}: is not allowed`;
  }
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `${at}: must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${at}: ${error.message ?? 'is invalid'}`;
}

function checker(validate: ValidateFunction, root: string): (value: unknown) => SchemaCheck {
  return (value) => {
    if (validate(value)) return { ok: true };
    const all = (validate.errors ?? []).map((e) => describe(root, e));
    const errors = [...new Set(all)];
    const shown = errors.slice(0, MAX_MESSAGES);
    const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
    return { ok: false, errors, message: shown.join('; ') + more };
  };
}

function compileOne(schema: Record<string, unknown>, field: 'inputSchema' | 'outputSchema', root: string) {
  try {
    return checker(ajvFor(schema).compile(schema), root);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new CortenError('INVALID_MANIFEST', `${field}: ${message}`, {
      cause,
      details: { fields: [{ path: field, message }] satisfies SchemaProblem[] },
    });
  }
}

/**
 * Checks that a manifest's schemas compile; returns one problem per bad
 * schema (empty when both are fine). Used by `parseManifest`.
 */
export function schemaProblems(manifest: Pick<EuManifest, 'inputSchema' | 'outputSchema'>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const field of ['inputSchema', 'outputSchema'] as const) {
    try {
      ajvFor(manifest[field]).compile(manifest[field]);
    } catch (cause) {
      problems.push({ path: field, message: cause instanceof Error ? cause.message : String(cause) });
    }
  }
  return problems;
}

function messageOf(check: SchemaCheck): string | null {
  return check.ok ? null : check.message;
}

const cache = new Map<string, EuSchemas>();

/**
 * Validators for an EU's input and output, cached by `euId` (or, without one,
 * by the hash of the two schemas). Throws `INVALID_MANIFEST` when a schema does
 * not compile.
 */
export function compileSchemas(manifest: Pick<EuManifest, 'inputSchema' | 'outputSchema'>, euId?: string): EuSchemas {
  const key = euId ?? `schemas_${hashJson({ i: manifest.inputSchema, o: manifest.outputSchema })}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const validateInput = compileOne(manifest.inputSchema, 'inputSchema', 'input');
  const validateOutput = compileOne(manifest.outputSchema, 'outputSchema', 'output');
  const schemas: EuSchemas = {
    validateInput,
    validateOutput,
    checkInput: (value) => messageOf(validateInput(value)),
    checkOutput: (value) => messageOf(validateOutput(value)),
  };
  cache.set(key, schemas);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return schemas;
}
