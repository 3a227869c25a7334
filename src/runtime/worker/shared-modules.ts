/**
 * Which EU packages may have their modules evaluated once per warm context
 * and shared by its tasks, rather than evaluated afresh for every task
 * (compiling a few KB of modules costs QuickJS ~0.1 ms a KB, each time).
 *
 * Sharing is safe only when a module holds no state a task could change for
 * the next one. A package qualifies when every module the entry reaches is
 * made only of
 *
 * - `import {a, b as c} from './x.js';` and `import * as x from './x.js';`
 *   (relative, to a `.js` or `.json` file of the package),
 * - `function f(…) {…}` and `export function f(…) {…}` (plain functions, not
 *   async, generators or classes),
 * - `const K = <literal>;` and `export const K = <literal>;`, a literal being
 *   a number, a simple string, true, false, null, or an array of those,
 *
 * with comments and whitespace between them, and no other `import` or
 * `export` anywhere in the text (that also keeps out `import.meta`, an object
 * per module, and `import()`). Each such module is rewritten so that every
 * top-level name is an exported constant (`export const f = function f(…)
 * {…};`): no task can reassign a top-level binding, and the host reaches
 * every top-level value through the namespace to freeze it (see the
 * prelude's `seal`). Evaluating such a module runs none of its code.
 *
 * The reading here is a plain scan, not a parser, and it is not trusted:
 * the prelude checks, after evaluation, that each module's namespace holds
 * exactly the names read here and that each function's source text, as
 * QuickJS parsed it, is exactly the text read here. `export` is legal only
 * at a module's top level, so QuickJS accepting the rewrite puts every read
 * item at the top level; the text check then pins where each function ends,
 * so nothing the scan took for a function body holds a top-level statement
 * of its own. A package that fails any step runs as before, its modules
 * evaluated for every task.
 */
import { posix } from 'node:path';

/** One top-level name of a module, and the source text of its function (undefined for a constant or JSON). */
export interface SharedName {
  name: string;
  text?: string;
}

/** How a package's modules are evaluated once and checked. */
export interface SharedPlan {
  /** The rewritten source of each module the entry reaches, by path (JSON files as they are). */
  sources: ReadonlyMap<string, string>;
  /** The names each module's namespace must hold, by path. */
  names: ReadonlyMap<string, readonly SharedName[]>;
}

const NAME = String.raw`[A-Za-z_$][\w$]*`;
const SPECIFIER = String.raw`(['"])(\.\.?\/[^'"\\\n]*)\2`;
const IMPORT_NAMED = new RegExp(
  String.raw`import\s*\{\s*((?:${NAME}(?:\s+as\s+${NAME})?\s*,\s*)*${NAME}(?:\s+as\s+${NAME})?\s*,?)\s*\}\s*from\s*${SPECIFIER}\s*;`,
  'y',
);
const IMPORT_STAR = new RegExp(String.raw`import\s*\*\s*as\s+(${NAME})\s+from\s*${SPECIFIER}\s*;`, 'y');
const SCALAR = String.raw`(?:-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|'[^'\\\n]*'|"[^"\\\n]*"|true|false|null)`;
const CONSTANT = new RegExp(
  String.raw`(?:export\s+)?const\s+(${NAME})\s*=\s*(${SCALAR}|\[\s*(?:${SCALAR}\s*,\s*)*(?:${SCALAR}\s*,?\s*)?\])\s*;`,
  'y',
);
const FUNCTION = new RegExp(String.raw`(?:export\s+)?function\s+(${NAME})\s*\(`, 'y');
const GAP = /(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/y;
const IDENTIFIER_CHAR = /[\w$]/;
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** The plan for a package whose entry is `entry`, or undefined when it does not qualify (see the module comment). */
export function planSharedModules(files: Readonly<Record<string, string>>, entry: string): SharedPlan | undefined {
  const sources = new Map<string, string>();
  const names = new Map<string, SharedName[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (sources.has(path)) continue;
    const text = files[path];
    if (text === undefined) return undefined;
    if (path.endsWith('.json')) {
      sources.set(path, text);
      names.set(path, [{ name: 'default' }]);
      continue;
    }
    if (!path.endsWith('.js')) return undefined;
    const module = rewrite(text);
    if (module === undefined) return undefined;
    for (const specifier of module.imports) {
      const target = posix.normalize(posix.join(posix.dirname(path), specifier));
      if (target.startsWith('../')) return undefined;
      pending.push(target);
    }
    sources.set(path, module.source);
    names.set(path, module.names);
  }
  return { sources, names };
}

/** A module rewritten with every top-level name an exported constant, or undefined when it does not qualify. */
function rewrite(text: string): { source: string; names: SharedName[]; imports: string[] } | undefined {
  const out: string[] = [];
  const names: SharedName[] = [];
  const imports: string[] = [];
  let exports = 0;
  let at = 0;
  for (;;) {
    GAP.lastIndex = at;
    GAP.exec(text);
    out.push(text.slice(at, GAP.lastIndex));
    at = GAP.lastIndex;
    if (at >= text.length) break;
    const imported = matchAt(IMPORT_NAMED, text, at) ?? matchAt(IMPORT_STAR, text, at);
    if (imported !== undefined) {
      imports.push(imported[3]!);
      out.push(imported[0]);
      at += imported[0].length;
      continue;
    }
    const constant = matchAt(CONSTANT, text, at);
    if (constant !== undefined) {
      if (constant[0].startsWith('export')) exports++;
      names.push({ name: constant[1]! });
      out.push(`export const ${constant[1]} = ${constant[2]};`);
      at += constant[0].length;
      continue;
    }
    const fn = matchAt(FUNCTION, text, at);
    if (fn === undefined) return undefined;
    if (fn[0].startsWith('export')) exports++;
    const start = text.indexOf('function', at);
    const end = functionEnd(text, at + fn[0].length - 1);
    if (end < 0) return undefined;
    const body = text.slice(start, end);
    names.push({ name: fn[1]!, text: body });
    out.push(`export const ${fn[1]} = ${body};`);
    at = end;
  }
  if (count(text, 'import') !== imports.length || count(text, 'export') !== exports) return undefined;
  if (new Set(names.map((n) => n.name)).size !== names.length) return undefined;
  return { source: out.join(''), names, imports };
}

function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text) ?? undefined;
}

function count(text: string, word: string): number {
  let n = 0;
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) n++;
  return n;
}

/** The index just past the body of the function whose parameter list opens at `open`, or -1. */
function functionEnd(text: string, open: number): number {
  const afterParams = balancedEnd(text, open);
  if (afterParams < 0) return -1;
  GAP.lastIndex = afterParams;
  GAP.exec(text);
  return text[GAP.lastIndex] === '{' ? balancedEnd(text, GAP.lastIndex) : -1;
}

/**
 * The index just past the bracket closing the one at `open`, skipping strings,
 * templates, comments and regular expressions (told from division by the
 * character before them: a guess, which the prelude's check makes harmless),
 * or -1.
 */
function balancedEnd(text: string, open: number): number {
  /** Closers expected, innermost last; '`' marks a template whose `${` is open. */
  const stack: string[] = [];
  let previous = '';
  let i = open;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      GAP.lastIndex = i;
      GAP.exec(text);
      if (GAP.lastIndex === i) return -1;
      i = GAP.lastIndex;
    } else if (c === '"' || c === "'") {
      i = stringEnd(text, i, c);
      previous = 'a';
    } else if (c === '`' || (c === '}' && stack.at(-1) === '`')) {
      if (c === '}') stack.pop();
      const end = templateEnd(text, i + 1);
      if (end < 0) return -1;
      if (text[end - 1] === '{') stack.push('`');
      i = end;
      previous = 'a';
    } else if (
      c === '/' &&
      !(IDENTIFIER_CHAR.test(previous) || previous === ')' || previous === ']' || previous === '}')
    ) {
      i = regexEnd(text, i);
      previous = 'a';
    } else if (OPENERS[c] !== undefined) {
      stack.push(OPENERS[c]);
      previous = c;
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1;
      i++;
      if (stack.length === 0) return i;
      previous = c;
    } else {
      previous = c;
      i++;
    }
    if (i < 0) return -1;
  }
  return -1;
}

function stringEnd(text: string, open: number, quote: string): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
    else if (text[i] === '\n') return -1;
  }
  return -1;
}

/** From inside a template: the index past its closing '`' or past a '${'. */
function templateEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '`') return i + 1;
    else if (text[i] === '$' && text[i + 1] === '{') return i + 2;
  }
  return -1;
}

function regexEnd(text: string, open: number): number {
  let inClass = false;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '\n') return -1;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) {
      let end = i + 1;
      while (end < text.length && IDENTIFIER_CHAR.test(text[end]!)) end++;
      return end;
    }
  }
  return -1;
}
