/**
 * The prelude: JavaScript evaluated once in every fresh sandbox context,
 * before any EU code, as a function the host calls with its privileged
 * callbacks. It
 *
 * - makes the context deterministic: `Math.random` becomes sfc32 (its state
 *   arrives already warmed up, see `seedWords`) and the clock
 *   (`Date.now()`, `new Date()`, `Date()`) a fixed instant, both set per task
 *   through `begin`, a closure only the host holds; `WeakRef` and
 *   `FinalizationRegistry` go, since they would expose garbage-collection
 *   timing;
 * - locks the context down, SES-style: every intrinsic reachable from
 *   `globalThis` (and the hidden ones: generator, async and iterator
 *   prototypes, %TypedArray%, %ThrowTypeError%) is frozen, so no task can leave
 *   state behind for the next one. Properties that libraries commonly shadow
 *   by assignment (`constructor`, `toString`, Error's `name` and `message` …)
 *   become accessors that define an own property on the target instead, so
 *   freezing their prototypes does not break `MyError.prototype.name = 'X'`
 *   (the "override mistake");
 * - builds the frozen `host` object from the capabilities the EU may use;
 * - runs a task: `begin` takes the task's PRNG state, clock and input before
 *   the host evaluates the entry module; `execute` then calls the module's
 *   `run(input, host)`, awaits it when it returns a thenable, checks that the
 *   result is exactly representable as JSON, and reports. A task that settles
 *   while `execute` runs (the common case: `run` returned a plain value)
 *   reports through `execute`'s return value, which spares the host a call
 *   back from QuickJS; one that settles later, in a job, calls the host's
 *   `report`. Either way the report is one string: its first character is
 *   the kind (see REPORT), the rest the JSON text (ok), the problem
 *   (not JSON, bad module) or `[name, message, fromHost]` as JSON (threw);
 * - seals shared modules: `seal(namespaces, expectedText)` checks that each
 *   namespace of a package whose modules are evaluated once per context
 *   holds exactly the names the host read from its text, each function with
 *   exactly the source text read (see shared-modules.ts), and only then
 *   deep-freezes every value they hold and answers true.
 *
 * Host calls cross as JSON text; replies are tagged `O<json>` (ok),
 * `T<message>` (bad argument: TypeError) or `E<message>` (the capability
 * failed: HostError, which the host classifies as EU_HOST_ERROR).
 */

/** Report kinds, the first character of a report (see the module comment). */
export const REPORT = { OK: 'O', THREW: 'T', NOT_JSON: 'N', BAD_MODULE: 'B' } as const;

/** A task's report, as the host reads it. */
export type Reported =
  | { kind: typeof REPORT.OK; text: string }
  | { kind: typeof REPORT.NOT_JSON | typeof REPORT.BAD_MODULE; text: string }
  | { kind: typeof REPORT.THREW; name: string; message: string; fromHost: boolean };

/** A report of the prelude read back, or undefined for none (`''`) or nonsense. */
export function parseReport(text: string): Reported | undefined {
  const kind = text.charAt(0);
  switch (kind) {
    case REPORT.OK:
    case REPORT.NOT_JSON:
    case REPORT.BAD_MODULE:
      return { kind, text: text.slice(1) };
    case REPORT.THREW: {
      const [name, message, fromHost] = JSON.parse(text.slice(1)) as [unknown, unknown, unknown];
      return { kind, name: String(name), message: String(message), fromHost: fromHost === true };
    }
    default:
      return undefined;
  }
}

export const PRELUDE_SOURCE = String.raw`(function bootstrap(hostCall, hostCallAsync, report, specText) {
  'use strict';
  const O = Object;
  const freeze = O.freeze;
  const defineProperty = O.defineProperty;
  const getOwnPropertyDescriptor = O.getOwnPropertyDescriptor;
  const getPrototypeOf = O.getPrototypeOf;
  const objectKeys = O.keys;
  const ownKeys = Reflect.ownKeys;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const jsonParse = JSON.parse;
  const jsonStringify = JSON.stringify;
  const isArray = Array.isArray;
  const isFiniteNumber = Number.isFinite;
  const StringCtor = String;
  const TypeErrorCtor = TypeError;
  const ErrorCtor = Error;
  const PromiseCtor = Promise;
  const promiseThen = Promise.prototype.then;
  const promiseReject = Promise.reject;
  const RealDate = Date;
  const dateToString = RealDate.prototype.toString;
  const functionToString = Function.prototype.toString;
  const hasOwnProperty = O.prototype.hasOwnProperty;
  const ObjectPrototype = O.prototype;
  const MAX_DEPTH = 200;
  const OK = 'O', THREW = 'T', NOT_JSON = 'N', BAD_MODULE = 'B';

  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, clock = 0;
  // The running task: its input (until run reads it), whether it has
  // reported, and, while execute runs, the report it made meanwhile.
  let taskInput = '';
  let reported = false;
  let inExecute = false;
  let syncReport = '';
  function random() {
    s0 >>>= 0; s1 >>>= 0; s2 >>>= 0; s3 >>>= 0;
    let t = (s0 + s1) | 0;
    s0 = s1 ^ (s1 >>> 9);
    s1 = (s2 + (s2 << 3)) | 0;
    s2 = (s2 << 21) | (s2 >>> 11);
    s3 = (s3 + 1) | 0;
    t = (t + s3) | 0;
    s2 = (s2 + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  function begin(a, b, c, d, now, inputText) {
    s0 = a; s1 = b; s2 = c; s3 = d; clock = now;
    taskInput = inputText;
    reported = false;
    inExecute = false;
    syncReport = '';
  }
  function deliver(text) {
    if (reported) return;
    reported = true;
    if (inExecute) syncReport = text;
    else report(text);
  }
  defineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });

  const SafeDate = function Date(...args) {
    if (new.target === undefined) return apply(dateToString, construct(RealDate, [clock]), []);
    return construct(RealDate, args.length === 0 ? [clock] : args, new.target);
  };
  defineProperty(SafeDate, 'length', { value: 7 });
  defineProperty(SafeDate, 'prototype', { value: RealDate.prototype, writable: false, enumerable: false, configurable: false });
  defineProperty(SafeDate, 'now', { value: function now() { return clock; }, writable: true, enumerable: false, configurable: true });
  defineProperty(SafeDate, 'parse', { value: RealDate.parse, writable: true, enumerable: false, configurable: true });
  defineProperty(SafeDate, 'UTC', { value: RealDate.UTC, writable: true, enumerable: false, configurable: true });
  defineProperty(RealDate.prototype, 'constructor', { value: SafeDate, writable: true, enumerable: false, configurable: true });
  defineProperty(globalThis, 'Date', { value: SafeDate, writable: true, enumerable: false, configurable: true });
  delete globalThis.WeakRef;
  delete globalThis.FinalizationRegistry;

  class HostError extends ErrorCtor {}
  defineProperty(HostError.prototype, 'name', { value: 'HostError', writable: true, enumerable: false, configurable: true });

  function tame(target, key) {
    const desc = getOwnPropertyDescriptor(target, key);
    if (desc === undefined || !('value' in desc) || !desc.configurable) return;
    const value = desc.value;
    defineProperty(target, key, {
      get: function () { return value; },
      set: function (next) {
        if (this === target) throw new TypeErrorCtor('Cannot assign to read only property ' + StringCtor(key) + ' of a frozen intrinsic');
        defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
      },
      enumerable: desc.enumerable,
      configurable: false,
    });
  }
  const errorCtors = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError];
  if (typeof InternalError === 'function') errorCtors.push(InternalError);
  for (const key of ['constructor', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable']) tame(ObjectPrototype, key);
  for (const key of ['constructor', 'toString']) tame(Function.prototype, key);
  for (const key of ['constructor', 'toString']) tame(Array.prototype, key);
  tame(Promise.prototype, 'constructor');
  for (const E of errorCtors) for (const key of ['constructor', 'name', 'message', 'toString']) tame(E.prototype, key);

  const frozen = new WeakSet();
  const pending = [];
  // Only objects and functions are pushed: most property values of the
  // intrinsics (lengths, names) are primitives. A fresh context spends most
  // of its start-up here.
  function pushObject(value) {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') pending.push(value);
  }
  function deepFreeze(root) {
    pushObject(root);
    while (pending.length > 0) {
      const item = pending.pop();
      if (frozen.has(item)) continue;
      frozen.add(item);
      freeze(item);
      pushObject(getPrototypeOf(item));
      const keys = ownKeys(item);
      for (let i = 0; i < keys.length; i++) {
        const desc = getOwnPropertyDescriptor(item, keys[i]);
        if (desc === undefined) continue;
        if ('value' in desc) pushObject(desc.value);
        else { pushObject(desc.get); pushObject(desc.set); }
      }
    }
  }
  const hidden = [
    function* () {}, async function () {}, async function* () {},
    getPrototypeOf((function* () {})()), getPrototypeOf((async function* () {})()),
    getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map().entries()), getPrototypeOf(new Set().values()),
    getPrototypeOf(''[Symbol.iterator]()), getPrototypeOf(/a/[Symbol.matchAll]('')),
    getPrototypeOf(Int8Array), getPrototypeOf(Int8Array.prototype),
    getOwnPropertyDescriptor(function () { 'use strict'; return arguments; }(), 'callee').get,
    HostError, SafeDate,
  ];
  if (typeof Iterator === 'function' && typeof Iterator.from === 'function') {
    hidden.push(getPrototypeOf(Iterator.from({ next() { return { done: true }; } })));
    hidden.push(getPrototypeOf([].values().map(function (x) { return x; })));
  }
  deepFreeze(globalThis);
  for (const item of hidden) deepFreeze(item);

  function describeValue(value) {
    try {
      const ctor = value.constructor;
      if (typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '') return 'a ' + ctor.name;
    } catch (e) {}
    return 'an object with a custom prototype';
  }
  function isIdentifier(key) {
    if (key.length === 0) return false;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
      if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
    }
    return true;
  }
  // Where the value is not exactly JSON, as 'path what-is-wrong', or
  // undefined. The path (output.items[1].f) is spelt out only for a problem
  // found: walk collects its keys, innermost first, on the way back up.
  function jsonProblem(value, root) {
    const found = walk(value, 0, []);
    if (found === undefined) return undefined;
    let path = root;
    for (let i = found.keys.length - 1; i >= 0; i--) {
      const key = found.keys[i];
      path += typeof key === 'number' ? '[' + key + ']' : isIdentifier(key) ? '.' + key : '[' + jsonStringify(key) + ']';
    }
    return path + ' ' + found.text;
  }
  function problem(text) {
    return { keys: [], text };
  }
  function walk(value, depth, ancestors) {
    switch (typeof value) {
      case 'string': case 'boolean': return undefined;
      case 'number': return isFiniteNumber(value) ? undefined : problem('is ' + StringCtor(value) + ', which JSON cannot carry');
      case 'undefined': return problem('is undefined');
      case 'function': return problem('is a function');
      case 'bigint': return problem('is a BigInt');
      case 'symbol': return problem('is a symbol');
    }
    if (value === null) return undefined;
    if (depth >= MAX_DEPTH) return problem('is nested deeper than ' + MAX_DEPTH + ' levels');
    for (let i = 0; i < depth; i++) if (ancestors[i] === value) return problem('refers back to an enclosing value (a cycle)');
    ancestors[depth] = value;
    let found;
    if (isArray(value)) {
      for (let i = 0; i < value.length && found === undefined; i++) {
        found = walk(value[i], depth + 1, ancestors);
        if (found !== undefined) found.keys.push(i);
      }
    } else {
      const proto = getPrototypeOf(value);
      if (proto !== ObjectPrototype && proto !== null) {
        found = problem('is ' + describeValue(value) + ', not a plain object or array');
      } else {
        const keys = objectKeys(value);
        for (let i = 0; i < keys.length && found === undefined; i++) {
          found = walk(value[keys[i]], depth + 1, ancestors);
          if (found !== undefined) found.keys.push(keys[i]);
        }
      }
    }
    ancestors[depth] = undefined;
    return found;
  }

  function fail(thrown) {
    let name = 'Error', message = '';
    let fromHost = false;
    try {
      fromHost = thrown instanceof HostError;
      if (thrown !== null && (typeof thrown === 'object' || typeof thrown === 'function')) {
        const n = thrown.name, m = thrown.message;
        if (typeof n === 'string') name = n;
        message = typeof m === 'string' ? m : m === undefined ? 'a value without a message was thrown' : StringCtor(m);
      } else {
        message = 'a non-Error value was thrown: ' + StringCtor(thrown);
      }
    } catch (e) {
      message = 'the thrown value could not be described';
    }
    deliver(THREW + jsonStringify([name, message, fromHost]));
  }
  function finish(value) {
    let problem;
    let text;
    try {
      problem = jsonProblem(value, 'output');
      if (problem === undefined) text = jsonStringify(value);
    } catch (e) {
      fail(e);
      return;
    }
    if (problem !== undefined) deliver(NOT_JSON + problem);
    else deliver(OK + text);
  }
  function start(namespace) {
    const inputText = taskInput;
    taskInput = '';
    let run, result;
    try {
      run = namespace.run;
    } catch (e) {
      fail(e);
      return;
    }
    if (typeof run !== 'function') {
      deliver(BAD_MODULE + 'the entry module does not export a function named run (its run is ' + (run === null ? 'null' : typeof run) + ')');
      return;
    }
    const input = jsonParse(inputText);
    try {
      result = run(input, host);
      if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
        apply(promiseThen, PromiseCtor.resolve(result), [finish, fail]);
        return;
      }
    } catch (e) {
      fail(e);
      return;
    }
    finish(result);
  }
  // The entry module's evaluation gives its namespace (an object with a null
  // prototype) or, when the module awaits at top level, a promise of it.
  function execute(namespaceOrPromise) {
    inExecute = true;
    if (namespaceOrPromise !== null && typeof namespaceOrPromise === 'object' && getPrototypeOf(namespaceOrPromise) === null) start(namespaceOrPromise);
    else apply(promiseThen, namespaceOrPromise, [start, fail]);
    inExecute = false;
    const text = syncReport;
    syncReport = '';
    return text;
  }

  function seal(namespaces, expectedText) {
    const expected = jsonParse(expectedText);
    if (!isArray(namespaces) || namespaces.length !== expected.length) return false;
    for (let m = 0; m < expected.length; m++) {
      const namespace = namespaces[m];
      const names = expected[m];
      if (namespace === null || typeof namespace !== 'object' || getPrototypeOf(namespace) !== null) return false;
      if (objectKeys(namespace).length !== names.length) return false;
      for (let i = 0; i < names.length; i++) {
        const item = names[i];
        if (!apply(hasOwnProperty, namespace, [item.name])) return false;
        const value = namespace[item.name];
        if (item.text !== undefined && (typeof value !== 'function' || apply(functionToString, value, []) !== item.text)) return false;
      }
    }
    for (let m = 0; m < namespaces.length; m++) {
      const keys = objectKeys(namespaces[m]);
      for (let i = 0; i < keys.length; i++) deepFreeze(namespaces[m][keys[i]]);
    }
    return true;
  }

  function encodeArgs(name, args) {
    const problem = jsonProblem(args, name + ' arguments');
    if (problem !== undefined) throw new TypeErrorCtor(problem);
    return jsonStringify(args);
  }
  function decode(reply) {
    const tag = reply[0];
    const body = reply.slice(1);
    if (tag === 'O') return jsonParse(body);
    if (tag === 'T') throw new TypeErrorCtor(body);
    throw new HostError(body);
  }
  function syncMethod(name) {
    return function (...args) { return decode(hostCall(name, encodeArgs(name, args))); };
  }
  function asyncMethod(name) {
    return function (...args) {
      try {
        return apply(promiseThen, hostCallAsync(name, encodeArgs(name, args)), [decode]);
      } catch (e) {
        return apply(promiseReject, PromiseCtor, [e]);
      }
    };
  }
  const host = {};
  for (const group of jsonParse(specText)) {
    const space = {};
    for (const method of group.methods) {
      const name = group.namespace + '.' + method;
      space[method] = group.async ? asyncMethod(name) : syncMethod(name);
    }
    host[group.namespace] = space;
  }
  deepFreeze(host);

  return freeze({ begin: freeze(begin), execute: freeze(execute), seal: freeze(seal) });
})`;
