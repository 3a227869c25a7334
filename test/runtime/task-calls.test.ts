/**
 * The per-task calls into QuickJS go straight through the binding's
 * foreign-function table when it has what they need (it does, in the
 * version the project depends on: a binding upgrade that hides it would
 * quietly slow every task down, so this says so), and behave exactly like
 * the same calls through the public API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
} from 'quickjs-emscripten-core';
import variantModule from '@jitl/quickjs-wasmfile-release-sync';
import { directCalls, HandleCalls, type TaskCalls } from '../../src/runtime/worker/task-calls.js';

/** A stand-in entry module: what it exports, or throws while loading, is set through globals before each round. */
const SOURCE = `
if (globalThis.loadFail) throw new SyntaxError(globalThis.loadFail);
export const tag = globalThis.tag;
export const fail = globalThis.runFail;
export const title = '\u00e9t\u00e9 — 日本語 😀';
`;

let runtime: QuickJSRuntime;
let context: QuickJSContext;
let begin: QuickJSHandle;
let execute: QuickJSHandle;
let modules = 0;

beforeAll(async () => {
  const variant = ((variantModule as unknown as { default?: QuickJSSyncVariant }).default ??
    variantModule) as QuickJSSyncVariant;
  const quickjs = await newQuickJSWASMModuleFromVariant(newVariant(variant, {}));
  runtime = quickjs.newRuntime();
  context = runtime.newContext();
  // Stand-ins for the prelude's: begin keeps its arguments, execute answers with them and the module's exports, or
  // throws.
  const pair = context.unwrapResult(
    context.evalCode(`(() => {
      let kept;
      return {
        begin(a, b, c, d, clock, input) {
          if (input === 'refuse') throw new RangeError('begin refused');
          kept = [a, b, c, d, clock, input];
        },
        execute(namespace) {
          if (namespace.fail) throw new TypeError('execute failed: ' + namespace.fail);
          return JSON.stringify({ kept, tag: namespace.tag, title: namespace.title });
        },
      };
    })()`),
  );
  begin = context.getProp(pair, 'begin');
  execute = context.getProp(pair, 'execute');
  pair.dispose();
});

afterAll(() => {
  begin.dispose();
  execute.dispose();
  context.dispose();
  runtime.dispose();
});

function setGlobals(globals: Record<string, unknown>): void {
  context
    .unwrapResult(
      context.evalCode(
        `Object.assign(globalThis, { tag: undefined, runFail: undefined, loadFail: undefined }, ${JSON.stringify(globals)})`,
      ),
    )
    .dispose();
}

function describeError(handle: QuickJSHandle): string {
  const described = context.dump(handle) as { name: string; message: string };
  handle.dispose();
  return `${described.name}: ${described.message}`;
}

/** One task's calls through `calls`, describing what came back. */
function round(calls: TaskCalls, input: string, globals: Record<string, unknown>): unknown {
  setGlobals(globals);
  const thrown = calls.begin([1, 4_294_967_295, 0, 2_147_483_648], 1_700_000_000_123.5, input);
  if (thrown !== undefined) return { beginThrew: describeError(thrown) };
  const result = calls.runModule(`t${++modules}/main.js`);
  if (typeof result === 'string') return JSON.parse(result) as unknown;
  return { threw: describeError(result.error), whileLoading: result.whileLoading };
}

describe('task calls', () => {
  it('go directly through the binding in this version', () => {
    const direct = directCalls(context, begin, execute, SOURCE);
    expect(direct).toBeDefined();
    direct?.dispose();
  });

  it('pass the numbers, the text and the module exactly, and return what was thrown and where', () => {
    const direct = directCalls(context, begin, execute, SOURCE)!;
    try {
      expect(round(direct, '{"title":"é"}', { tag: 'n0' })).toEqual({
        kept: [1, 4_294_967_295, 0, 2_147_483_648, 1_700_000_000_123.5, '{"title":"é"}'],
        tag: 'n0',
        title: 'été — 日本語 😀',
      });
      expect(round(direct, 'refuse', {})).toEqual({ beginThrew: 'RangeError: begin refused' });
      expect(round(direct, '{}', { loadFail: 'bad module' })).toEqual({
        threw: 'SyntaxError: bad module',
        whileLoading: true,
      });
      expect(round(direct, '{}', { runFail: 'x' })).toEqual({
        threw: 'TypeError: execute failed: x',
        whileLoading: false,
      });
    } finally {
      direct.dispose();
    }
  });

  it.each([
    ['plain input', '{"x":3}', { tag: 'n1' }],
    ['input beyond ASCII', '{"title":"naïve — 日本語 😀"}', { tag: 'n2' }],
    ['a large input', JSON.stringify({ text: 'x'.repeat(200_000) }), { tag: 'n3' }],
    ['begin throwing', 'refuse', { tag: 'n4' }],
    ['the module throwing while loading', '{}', { loadFail: 'on purpose' }],
    ['execute throwing', '{}', { runFail: 'on purpose' }],
  ])('answer like the public API for %s', (_what, input, globals) => {
    const direct = directCalls(context, begin, execute, SOURCE)!;
    const handles = new HandleCalls(context, begin, execute, SOURCE);
    try {
      const expected = round(handles, input, globals);
      expect(round(direct, input, globals)).toEqual(expected);
      // Repeated, to catch anything left behind by the first round.
      expect(round(direct, input, globals)).toEqual(expected);
    } finally {
      direct.dispose();
      handles.dispose();
    }
  });
});
