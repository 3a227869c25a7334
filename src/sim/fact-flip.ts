/**
 * Fact flips: the lie that keeps the wording and changes the facts. Used by
 * the `flip` fault fixture (an operator that falsifies its honest output) and
 * by the semantic evaluation (bench/eval-semantic.ts) to generate lies. Each
 * edit changes one fact and nothing else, so the text stays as close to the
 * honest one as a lie can be. Deterministic: the same text gives the same lie.
 */

/** Changes the first number: 76 → 77, 1.13 → 2.13, 2004 → 2005. Null when the text has none. */
export function changeNumber(text: string): string | null {
  const m = /\d+(?:[.,]\d+)*/.exec(text);
  if (!m) return null;
  const digits = m[0];
  // Bump the last whole-number digit group by one: the shape of the number (and its unit) stays.
  const dot = digits.lastIndexOf('.');
  const whole = dot === -1 ? digits : digits.slice(0, dot);
  const groups = whole.split(',');
  const last = groups.length - 1;
  groups[last] = String(Number(groups[last]) + 1).padStart(groups[last]!.length, '0');
  const changed = groups.join(',') + (dot === -1 ? '' : digits.slice(dot));
  return text.slice(0, m.index) + changed + text.slice(m.index + digits.length);
}

const AUXILIARIES = [
  'was',
  'is',
  'were',
  'are',
  'has',
  'have',
  'had',
  'will',
  'would',
  'could',
  'can',
  'did',
  'does',
  'should',
];
const NEGATED = /\b(was|is|were|are|has|have|had|will|would|could|can|did|does|should) not\b/i;

/** Adds a negation after the first auxiliary ("was" → "was not"), or removes the first one there is. */
export function toggleNegation(text: string): string | null {
  const negated = NEGATED.exec(text);
  if (negated) return text.slice(0, negated.index) + negated[1] + text.slice(negated.index + negated[0].length);
  const aux = new RegExp(`\\b(${AUXILIARIES.join('|')})\\b`, 'i').exec(text);
  if (!aux) return null;
  return `${text.slice(0, aux.index + aux[0].length)} not${text.slice(aux.index + aux[0].length)}`;
}

/** Word pairs whose swap reverses a news fact (the generator's own list, applied both ways). */
export const ANTONYMS: readonly [string, string][] = [
  ['rose', 'fell'],
  ['rise', 'fall'],
  ['rises', 'falls'],
  ['rising', 'falling'],
  ['risen', 'fallen'],
  ['increased', 'decreased'],
  ['increase', 'decrease'],
  ['won', 'lost'],
  ['win', 'lose'],
  ['wins', 'loses'],
  ['higher', 'lower'],
  ['more', 'less'],
  ['up', 'down'],
  ['gained', 'lost'],
  ['above', 'below'],
  ['before', 'after'],
  ['stronger', 'weaker'],
  ['better', 'worse'],
  ['best', 'worst'],
  ['biggest', 'smallest'],
  ['largest', 'smallest'],
  ['accepted', 'rejected'],
  ['approved', 'rejected'],
  ['supported', 'opposed'],
  ['success', 'failure'],
  ['positive', 'negative'],
];

/** Swaps the first word that has an antonym ("rose" → "fell"). Null when there is none. */
export function swapAntonym(text: string): string | null {
  const map = new Map<string, string>();
  for (const [a, b] of ANTONYMS) {
    if (!map.has(a)) map.set(a, b);
    if (!map.has(b)) map.set(b, a);
  }
  const m = new RegExp(`\\b(${[...map.keys()].join('|')})\\b`, 'i').exec(text);
  if (!m) return null;
  const word = m[0];
  let swapped = map.get(word.toLowerCase())!;
  if (word[0] !== word[0]!.toLowerCase()) swapped = swapped[0]!.toUpperCase() + swapped.slice(1);
  return text.slice(0, m.index) + swapped + text.slice(m.index + word.length);
}

/** One fact flipped: a number if there is one, else a negation, else an antonym; the text itself if none applies. */
export function flipFacts(text: string): string {
  return changeNumber(text) ?? toggleNegation(text) ?? swapAntonym(text) ?? text;
}

/** Flips a fact in every string of an output (the `flip` fault). */
export function flipOutput(output: unknown): unknown {
  if (typeof output === 'string') return flipFacts(output);
  if (Array.isArray(output)) return output.map(flipOutput);
  if (output !== null && typeof output === 'object') {
    return Object.fromEntries(Object.entries(output).map(([k, v]) => [k, flipOutput(v)]));
  }
  return output;
}
