/**
 * The three calls into QuickJS that every task makes — the prelude's
 * `begin(a, b, c, d, clock, inputText)`, the evaluation of a fresh instance
 * of the EU's entry module, and the prelude's `execute(namespace)`, which
 * answers a string — made as cheaply as the binding allows. (A task of a
 * package whose modules are shared skips the evaluation: `executeShared`
 * calls `execute` with the shared entry module's namespace.)
 *
 * quickjs-emscripten's public API wraps every value crossing into QuickJS in
 * a `Lifetime` object and every call in a few closures; for a trivial EU that
 * bookkeeping (~4 µs a task, measured) costs as much as a fifth of running
 * it, and `evalCode` copies the module's source into the WebAssembly heap,
 * character by character, on every call. `DirectCalls` makes the same calls
 * through the binding's own foreign-function table (`QTS_Call`, `QTS_Eval`
 * …), which the public API uses underneath, with no wrapper objects: values
 * are created, passed and freed by pointer, and the source is copied once,
 * when the context is built. The table and the Emscripten module are not public
 * members of `QuickJSContext`, so `directCalls` checks that everything it
 * needs is there and answers undefined when not (another binding version);
 * the context then uses `HandleCalls`, the same calls through the public API.
 * An exception thrown by either call comes back as an ordinary handle, for
 * the context's usual classification. Strings are copied into the heap with
 * Node's own UTF-8 encoder (Emscripten's `stringToUTF8` is a JavaScript loop,
 * ~45 µs for the 10 KB reply of a host call, against ~2 µs); `newString`
 * gives host-call replies the same path.
 */
import { Lifetime, type QuickJSContext, type QuickJSHandle } from 'quickjs-emscripten-core';

/** An exception thrown into the host, and whether it came from evaluating the module (rather than from running it). */
export interface Thrown {
  error: QuickJSHandle;
  whileLoading: boolean;
}

export interface TaskCalls {
  /** Calls `begin`; returns the exception it threw, if any. */
  begin(words: readonly [number, number, number, number], clock: number, inputText: string): QuickJSHandle | undefined;
  /**
   * Evaluates a fresh instance of the entry module under `moduleName` and
   * calls `execute` with its namespace (or the promise of it); returns
   * `execute`'s string, or the exception either threw.
   */
  runModule(moduleName: string): string | Thrown;
  /** Calls `execute` with an already evaluated namespace; returns its string, or the exception it threw. */
  executeShared(namespace: QuickJSHandle): string | Thrown;
  /** A new QuickJS string, as a handle the caller owns. */
  newString(text: string): QuickJSHandle;
  /** Frees what the calls hold. */
  dispose(): void;
}

/** `evalCode`'s flag for module code (quickjs.h: JS_EVAL_TYPE_MODULE). */
const EVAL_TYPE_MODULE = 1;

/** The public-API calls. */
export class HandleCalls implements TaskCalls {
  constructor(
    private readonly context: QuickJSContext,
    private readonly beginFn: QuickJSHandle,
    private readonly executeFn: QuickJSHandle,
    /** The entry module's source. */
    private readonly source: string,
  ) {}

  begin(words: readonly [number, number, number, number], clock: number, inputText: string): QuickJSHandle | undefined {
    const ctx = this.context;
    const args = [
      ctx.newNumber(words[0]),
      ctx.newNumber(words[1]),
      ctx.newNumber(words[2]),
      ctx.newNumber(words[3]),
      ctx.newNumber(clock),
      ctx.newString(inputText),
    ];
    const begun = ctx.callFunction(this.beginFn, ctx.undefined, args);
    for (const arg of args) arg.dispose();
    if (begun.error) return begun.error;
    begun.value.dispose();
    return undefined;
  }

  runModule(moduleName: string): string | Thrown {
    const ctx = this.context;
    const evaluated = ctx.evalCode(this.source, moduleName, { type: 'module' });
    if (evaluated.error) return { error: evaluated.error, whileLoading: true };
    const text = this.executeShared(evaluated.value);
    evaluated.value.dispose();
    return text;
  }

  executeShared(namespace: QuickJSHandle): string | Thrown {
    const ctx = this.context;
    const called = ctx.callFunction(this.executeFn, ctx.undefined, namespace);
    if (called.error) return { error: called.error, whileLoading: false };
    const text = ctx.getString(called.value);
    called.value.dispose();
    return text;
  }

  newString(text: string): QuickJSHandle {
    return this.context.newString(text);
  }

  dispose(): void {}
}

/** The part of the binding's foreign-function table the direct calls use (pointers are numbers). */
interface Ffi {
  QTS_Eval(ctx: number, code: number, codeBytes: number, filename: string, detectModule: number, flags: number): number;
  QTS_NewFloat64(ctx: number, value: number): number;
  QTS_NewString(ctx: number, utf8: number): number;
  QTS_Call(ctx: number, fn: number, thisValue: number, argc: number, argv: number): number;
  QTS_ResolveException(ctx: number, value: number): number;
  QTS_FreeValuePointer(ctx: number, value: number): void;
  QTS_GetString(ctx: number, value: number): number;
  QTS_FreeCString(ctx: number, utf8: number): void;
}

/** The part of the Emscripten module the direct calls use. */
interface EmscriptenModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  UTF8ToString(pointer: number): string;
}

const FFI_FUNCTIONS: readonly (keyof Ffi)[] = [
  'QTS_Eval',
  'QTS_NewFloat64',
  'QTS_NewString',
  'QTS_Call',
  'QTS_ResolveException',
  'QTS_FreeValuePointer',
  'QTS_GetString',
  'QTS_FreeCString',
];
const MODULE_FUNCTIONS: readonly (keyof EmscriptenModule)[] = ['_malloc', '_free', 'UTF8ToString'];
const utf8Encoder = new TextEncoder();
/** Arguments of the widest call (`begin`). */
const MAX_ARGS = 6;
const POINTER = 4;

/** Direct calls for `context`, or undefined when the binding does not have what they need. */
export function directCalls(
  context: QuickJSContext,
  beginFn: QuickJSHandle,
  executeFn: QuickJSHandle,
  source: string,
): TaskCalls | undefined {
  // `ffi`, `module` and `ctx` are the binding's protected members (see the module comment).
  const inner = context as unknown as {
    ffi?: Partial<Record<keyof Ffi, unknown>>;
    module?: Partial<Record<keyof EmscriptenModule, unknown>>;
    ctx?: { value?: unknown };
  };
  const { ffi, module } = inner;
  const ctx = inner.ctx?.value;
  if (ffi === undefined || module === undefined || typeof ctx !== 'number') return undefined;
  if (!FFI_FUNCTIONS.every((name) => typeof ffi[name] === 'function')) return undefined;
  if (!MODULE_FUNCTIONS.every((name) => typeof module[name] === 'function') || !(module.HEAPU8 instanceof Uint8Array))
    return undefined;
  return new DirectCalls(context, ffi as Ffi, module as unknown as EmscriptenModule, ctx, beginFn, executeFn, source);
}

class DirectCalls implements TaskCalls {
  /** Room for the argument pointers of one call, in the WebAssembly heap. */
  private readonly argv: number;
  private readonly undefinedValue: number;
  /** The entry module's source as NUL-terminated UTF-8 in the WebAssembly heap, and its length in bytes. */
  private readonly source: number;
  private readonly sourceBytes: number;

  constructor(
    private readonly context: QuickJSContext,
    private readonly ffi: Ffi,
    private readonly module: EmscriptenModule,
    private readonly ctx: number,
    private readonly beginFn: QuickJSHandle,
    private readonly executeFn: QuickJSHandle,
    source: string,
  ) {
    this.argv = module._malloc(MAX_ARGS * POINTER);
    if (this.argv === 0) throw new Error('the QuickJS heap is exhausted');
    this.sourceBytes = Buffer.byteLength(source, 'utf8');
    this.source = this.utf8(source, this.sourceBytes);
    this.undefinedValue = context.undefined.value as unknown as number;
  }

  begin(words: readonly [number, number, number, number], clock: number, inputText: string): QuickJSHandle | undefined {
    const { ffi, ctx } = this;
    const args = [
      ffi.QTS_NewFloat64(ctx, words[0]),
      ffi.QTS_NewFloat64(ctx, words[1]),
      ffi.QTS_NewFloat64(ctx, words[2]),
      ffi.QTS_NewFloat64(ctx, words[3]),
      ffi.QTS_NewFloat64(ctx, clock),
      this.stringValue(inputText),
    ];
    const result = this.call(this.beginFn, args);
    for (const arg of args) ffi.QTS_FreeValuePointer(ctx, arg);
    const error = ffi.QTS_ResolveException(ctx, result);
    ffi.QTS_FreeValuePointer(ctx, result);
    return error === 0 ? undefined : this.handle(error);
  }

  runModule(moduleName: string): string | Thrown {
    const { ffi, ctx } = this;
    const namespace = ffi.QTS_Eval(ctx, this.source, this.sourceBytes, moduleName, 0, EVAL_TYPE_MODULE);
    const loadError = ffi.QTS_ResolveException(ctx, namespace);
    if (loadError !== 0) {
      ffi.QTS_FreeValuePointer(ctx, namespace);
      return { error: this.handle(loadError), whileLoading: true };
    }
    const text = this.executeValue(namespace);
    ffi.QTS_FreeValuePointer(ctx, namespace);
    return text;
  }

  executeShared(namespace: QuickJSHandle): string | Thrown {
    return this.executeValue(namespace.value as unknown as number);
  }

  private executeValue(namespace: number): string | Thrown {
    const { ffi, ctx, module } = this;
    const result = this.call(this.executeFn, [namespace]);
    const runError = ffi.QTS_ResolveException(ctx, result);
    if (runError !== 0) {
      ffi.QTS_FreeValuePointer(ctx, result);
      return { error: this.handle(runError), whileLoading: false };
    }
    const utf8 = ffi.QTS_GetString(ctx, result);
    const text = module.UTF8ToString(utf8);
    ffi.QTS_FreeCString(ctx, utf8);
    ffi.QTS_FreeValuePointer(ctx, result);
    return text;
  }

  dispose(): void {
    this.module._free(this.argv);
    this.module._free(this.source);
  }

  private call(fn: QuickJSHandle, args: number[]): number {
    // A fresh view: growing the WebAssembly memory replaces the heap's buffer.
    new Uint32Array(this.module.HEAPU8.buffer, this.argv, args.length).set(args);
    return this.ffi.QTS_Call(this.ctx, fn.value as unknown as number, this.undefinedValue, args.length, this.argv);
  }

  newString(text: string): QuickJSHandle {
    return this.handle(this.stringValue(text));
  }

  private stringValue(text: string): number {
    const utf8 = this.utf8(text, Buffer.byteLength(text, 'utf8'));
    const value = this.ffi.QTS_NewString(this.ctx, utf8);
    this.module._free(utf8);
    return value;
  }

  /** `text` (of `bytes` UTF-8 bytes) as a NUL-terminated copy in the WebAssembly heap; the caller frees it. */
  private utf8(text: string, bytes: number): number {
    const pointer = this.module._malloc(bytes + 1);
    if (pointer === 0) throw new Error('the QuickJS heap is exhausted');
    const heap = this.module.HEAPU8;
    utf8Encoder.encodeInto(text, heap.subarray(pointer, pointer + bytes));
    heap[pointer + bytes] = 0;
    return pointer;
  }

  /** A value (an exception, a string) as a handle the context can inspect and dispose, like the public API's. */
  private handle(value: number): QuickJSHandle {
    const { ffi, ctx } = this;
    return new Lifetime(
      value as never,
      undefined,
      (pointer) => ffi.QTS_FreeValuePointer(ctx, pointer as unknown as number),
      this.context.runtime,
    ) as unknown as QuickJSHandle;
  }
}
