/**
 * The limits every boundary applies, in one place, because both sides apply
 * them alike: the coordinator to HTTP bodies and operator frames, the runtime
 * and the agent to EU outputs.
 *
 * Depth is checked before anything recurses. JSON.parse in V8 is iterative,
 * but canonical hashing, JSON.stringify, JSON Schema validation and zod all
 * recurse, and Node's stack overflows somewhere past 5,000 levels; a value
 * nested that deep would then throw `RangeError` from deep inside whatever
 * touched it first. So raw text is scanned (one pass, no recursion) before it
 * is parsed, and a parsed value is walked with an explicit stack before it is
 * hashed or stored.
 *
 * Depth counts containers: `1` and `"a"` have depth 0, `[]` and `{}` depth 1,
 * `{"a":[1]}` depth 2. The text scan and the value walk agree on it.
 */

/**
 * Deepest nesting of an EU input or output. Real documents nest a handful of
 * levels (an article, a list of entities with spans); 64 leaves room for any
 * honest one and keeps every recursive walk far from the stack's end.
 */
export const MAX_VALUE_DEPTH = 64;

/**
 * Levels a request body or a frame adds around the values it carries:
 * `{"inputs":[v]}`, `[{"t":"results","results":[{"output":v}]}]`, an EU
 * manifest's schemas inside `{"manifest":{…}}`. Generous, so an envelope
 * never trips the limit before its values do.
 */
export const ENVELOPE_DEPTH = 8;

/** Deepest nesting of an HTTP request body. */
export const MAX_BODY_DEPTH = MAX_VALUE_DEPTH + ENVELOPE_DEPTH;

/**
 * Deepest nesting of an operator frame, checked on its raw text before it is
 * parsed. Results between MAX_VALUE_DEPTH and this are parsed and refused one
 * by one (`JSON_TOO_DEEP`), so the rest of their frame still counts; deeper
 * than this, the frame is refused whole: parsing it would cost memory out of
 * all proportion (one object per `[`), and no agent ever sends it.
 */
export const MAX_FRAME_DEPTH = 1024;

/** Largest EU output, as UTF-8 JSON text (results travel in signed WebSocket frames and are stored per assignment). */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Largest frame an operator may send. A results frame carries at most
 * 10,000 results; 64 MB holds a full one of ordinary outputs, or 64 of the
 * largest.
 */
export const MAX_OPERATOR_FRAME_BYTES = 64 * 1024 * 1024;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when JSON text nests deeper than `limit`. One pass over the text,
 * skipping strings; the text need not be valid JSON (the parser says so
 * afterwards), so this never throws.
 */
export function textTooDeep(text: string, limit: number): boolean {
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip the string: find the closing quote that no backslash escapes.
      for (i++; i < length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** True when a parsed value nests deeper than `limit`. Walks with an explicit stack: never recurses. */
export function valueTooDeep(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: { value: object; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: node, depth } = stack.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push({ value: child as object, depth: depth + 1 });
    }
  }
  return false;
}
