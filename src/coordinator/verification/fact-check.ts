/**
 * Fact checking for semantic verification. Embedding similarity says two
 * texts talk about the same thing; it cannot tell "profits rose 7%" from
 * "profits fell 9%". So the coordinator reads every output itself (wink-nlp,
 * deterministic: the same text always gives the same facts) and compares
 * the facts it states: numbers (dates, money and percentages are numbers
 * plus words), named entities (proper nouns by part of speech), negation
 * and direction words ("rose" / "fell", "won" / "lost").
 *
 * Two kinds of check:
 *
 *   grounded   an output against the task's input (summaries): every number
 *              and entity it states is in the input, every sentence is
 *              mostly made of the input's words (an instruction to the
 *              verifier, boilerplate or another article's summary is not),
 *              no sentence repeats, and a sentence that follows an input
 *              sentence keeps its negation, direction, numbers and entities.
 *   replicas   two outputs against each other: sentences that share their
 *              subject must not differ in those facts, however short they
 *              are (a chat answer is often one short sentence).
 *
 * Nothing here trusts an operator: the facts are read from the output text
 * the coordinator holds.
 */
import { loadWink, type NlpToken } from '../../runtime/capabilities/wink.js';

export interface SentenceFacts {
  /** Stems of the content words (not stop words, not punctuation). */
  words: Set<string>;
  /** The content words that are not direction or negation words: what the sentence is about (see `shareSubject`). */
  subject: Set<string>;
  /** Stems of its entity words. */
  names: Set<string>;
  /** Numbers as stated, one entry per mention ("3 April" and "three-day" are two 3s). */
  numbers: string[];
  entities: Set<string>;
  negations: number;
  /** Direction words as `pair:pole`, e.g. `rise:+`. */
  directions: Set<string>;
  /** The sentence, normalised, to find repeats. */
  key: string;
}

export interface FactSheet {
  sentences: SentenceFacts[];
  /** Stems of every content word, and every normal form (entities are checked against it). */
  words: Set<string>;
  normals: Set<string>;
  numbers: Set<string>;
  entities: Set<string>;
  /** Every token as written: an entity is grounded when the input writes it the same way ("Life", not "life"). */
  values: Set<string>;
}

/** One reason why two texts, or an output and its input, do not agree on facts. */
export interface FactProblem {
  kind: 'number' | 'entity' | 'negation' | 'direction' | 'unsupported' | 'repeated';
  detail: string;
}

export interface FactPolicy {
  /** Check outputs against the task's input, not only against each other. */
  grounded: boolean;
  /** Grounded: the least share of a sentence's content words the input must contain. */
  sentenceSupport: number;
}

/**
 * A sentence "follows" another when at least this share of its content words
 * are in it: then the two state the same claim and must agree on its facts.
 * Below it they are different claims (an abstractive summary merges and
 * splits sentences) and are not compared.
 */
const ALIGN_MIN = 0.6;
/**
 * Grounded: output sentences with fewer content words than this say too
 * little to align on an input sentence (a short claim is mostly made of the
 * words of many long ones). Replicas: sentences this long are aligned on all
 * their words, a shorter one on its subject (see `shareSubject`).
 */
const ALIGN_MIN_WORDS = 4;

const NEGATIONS = new Set(['not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'cannot', 'without']);

/** Spelled numbers, so "three months" and "3 months" state the same fact. */
const NUMBER_WORDS: Record<string, string> = {
  zero: '0',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
  eleven: '11',
  twelve: '12',
  twenty: '20',
  thirty: '30',
  forty: '40',
  fifty: '50',
  hundred: '100',
  thousand: '1000',
};

/**
 * Antonym pairs whose swap reverses a news fact. Each word maps to its pairs
 * and poles ("lost" is the opposite of "won" and of "gained"); inflections
 * are listed because stems of irregular verbs differ.
 */
const DIRECTION_PAIRS: readonly [string, readonly string[], readonly string[]][] = [
  ['rise', ['rise', 'rises', 'rose', 'risen', 'rising'], ['fall', 'falls', 'fell', 'fallen', 'falling']],
  [
    'increase',
    ['increase', 'increases', 'increased', 'increasing'],
    ['decrease', 'decreases', 'decreased', 'decreasing'],
  ],
  ['up', ['up'], ['down']],
  ['higher', ['higher', 'high', 'highest'], ['lower', 'low', 'lowest']],
  [
    'win',
    ['win', 'wins', 'won', 'winning', 'winner', 'winners'],
    ['lose', 'loses', 'lost', 'losing', 'loser', 'losers'],
  ],
  ['gain', ['gain', 'gains', 'gained', 'gaining'], ['loss', 'losses', 'lose', 'loses', 'lost', 'losing']],
  ['more', ['more', 'most'], ['less', 'least', 'fewer', 'fewest']],
  ['above', ['above'], ['below']],
  ['before', ['before'], ['after']],
  ['strong', ['strong', 'stronger', 'strongest'], ['weak', 'weaker', 'weakest']],
  ['good', ['good', 'better', 'best'], ['bad', 'worse', 'worst']],
  ['big', ['biggest', 'largest', 'bigger', 'larger'], ['smallest', 'smaller']],
  ['accept', ['accept', 'accepts', 'accepted', 'approve', 'approved'], ['reject', 'rejects', 'rejected']],
  ['support', ['support', 'supports', 'supported'], ['oppose', 'opposes', 'opposed']],
  ['success', ['success', 'successful'], ['failure', 'unsuccessful']],
  ['boost', ['boost', 'boosted', 'boosts'], ['cut', 'cuts']],
  ['profit', ['profit', 'profits'], ['deficit', 'deficits']],
  ['positive', ['positive'], ['negative']],
];
const DIRECTIONS = new Map<string, string[]>();
for (const [pair, plus, minus] of DIRECTION_PAIRS) {
  for (const [words, pole] of [
    [plus, '+'],
    [minus, '-'],
  ] as const) {
    for (const w of words) DIRECTIONS.set(w, [...(DIRECTIONS.get(w) ?? []), `${pair}:${pole}`]);
  }
}
const opposite = (d: string): string => (d.endsWith('+') ? `${d.slice(0, -1)}-` : `${d.slice(0, -1)}+`);

/**
 * Sentence boundaries wink misses: a line break, and a full stop (or ! ?),
 * perhaps closing a quote, before a capital or an opening quote. Quoted
 * speech otherwise runs several claims together into one "sentence"; so
 * does a full stop before a dash or a digit.
 */
const BOUNDARY = /\n+|(?<=[.!?]["\u201d']?)\s*(?=["\u201c]?[A-Z])|(?<=[.!?]["\u201d']?)\s+(?=[^a-z\s])/;

/** The facts a text states. */
export function readFacts(text: string): FactSheet {
  const wink = loadWink();
  const sentences: SentenceFacts[] = [];
  const tokens: { t: NlpToken; s: SentenceFacts }[] = [];
  for (const piece of text.split(BOUNDARY)) {
    if (piece.trim().length === 0) continue;
    const analyzed = wink.analyze(piece);
    const own = analyzed.sentences.map((sentence) => ({
      words: new Set<string>(),
      subject: new Set<string>(),
      names: new Set<string>(),
      numbers: [] as string[],
      entities: new Set<string>(),
      negations: 0,
      directions: new Set<string>(),
      key: sentence
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, ' ')
        .trim(),
    }));
    sentences.push(...own);
    for (const t of analyzed.tokens) {
      const s = own[t.sentence];
      if (s) tokens.push({ t, s });
    }
  }
  const sheet: FactSheet = {
    sentences,
    words: new Set(),
    normals: new Set(),
    numbers: new Set(),
    entities: new Set(),
    values: new Set(),
  };
  let previous: SentenceFacts | null = null;
  for (const { t, s } of tokens) {
    // A capital inside a sentence marks a name even where the lite model's tagger says NOUN ("Life's sector").
    const initial = previous !== s;
    previous = s;
    sheet.normals.add(t.normal);
    sheet.values.add(t.value);
    // Digits in any token: wink reads "18th" and "3.5bn" as words.
    const digits = t.normal.match(/\d+(?:[.,]\d+)*/g);
    if (digits) {
      for (const d of digits) s.numbers.push(normalNumber(d));
      continue;
    }
    if (t.type !== 'word') continue;
    const spelled = NUMBER_WORDS[t.normal];
    if (spelled !== undefined) s.numbers.push(spelled);
    if (NEGATIONS.has(t.normal)) s.negations += 1;
    const direction = DIRECTIONS.get(t.normal);
    for (const d of direction ?? []) s.directions.add(d);
    const capital = /^[A-Z]/.test(t.value) && !initial;
    const entity = (t.pos === 'PROPN' || capital) && t.normal.length > 1;
    if (entity) s.entities.add(t.value);
    if (!t.stop && spelled === undefined && t.normal.length > 1) {
      s.words.add(t.stem);
      if (direction === undefined && !NEGATIONS.has(t.normal)) s.subject.add(t.stem);
      if (entity) s.names.add(t.stem);
    }
  }
  for (const s of sentences) {
    for (const w of s.words) sheet.words.add(w);
    for (const n of s.numbers) sheet.numbers.add(n);
    for (const e of s.entities) sheet.entities.add(e);
  }
  return sheet;
}

/** `464,000` and `464000` are one number; `1.50` and `1.5` too. */
function normalNumber(raw: string): string {
  const value = Number(raw.replace(/,/g, ''));
  return Number.isFinite(value) ? String(value) : raw;
}

/** The entries of `a` beyond those of `b`, counting repeats. */
function extra(a: readonly string[], b: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

/** The share of `a` that `b` holds. */
function share(a: Set<string>, b: Set<string>): number {
  if (a.size === 0) return 0;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / a.size;
}

/** Replica comparison (null: grounded); `alone` when both outputs are one sentence. */
type Mutual = { alone: boolean } | null;

const overlap = (s: SentenceFacts, t: SentenceFacts): number => share(s.words, t.words);

/**
 * Two replicas' sentences state the same claim when each follows the other
 * (see ALIGN_MIN). Long sentences are compared on all their content words.
 * A short one is mostly facts, the very words a liar changes ("It is 100
 * metres tall" / "It is 200 metres tall", "The meeting is in Paris" / "...
 * Lyon"), so it is compared on its subject: its words without direction
 * words, and without the names the other sentence lacks. Two answers of one
 * sentence each that are facts alone ("Paris." / "Lyon.") answer the same
 * question, so they state the same claim.
 */
function shareSubject(s: SentenceFacts, t: SentenceFacts, alone: boolean): boolean {
  if (s.words.size >= ALIGN_MIN_WORDS && t.words.size >= ALIGN_MIN_WORDS)
    return overlap(s, t) >= ALIGN_MIN && overlap(t, s) >= ALIGN_MIN;
  const a = subjectAgainst(s, t);
  const b = subjectAgainst(t, s);
  if (a.size === 0 || b.size === 0) return alone && a.size === 0 && b.size === 0;
  return share(a, b) >= ALIGN_MIN && share(b, a) >= ALIGN_MIN;
}

/** The subject of `s`, without the names `t` does not share: a name swapped is a fact, a name kept is the subject. */
function subjectAgainst(s: SentenceFacts, t: SentenceFacts): Set<string> {
  return new Set([...s.subject].filter((w) => !s.names.has(w) || t.names.has(w)));
}

/**
 * The sentences of `sheet` that `s` follows: grounded, on its words (see
 * ALIGN_MIN); replicas (`mutual`), both ways (see `shareSubject`).
 */
function followed(s: SentenceFacts, sheet: FactSheet, mutual: Mutual): SentenceFacts[] {
  if (mutual) return sheet.sentences.filter((t) => shareSubject(s, t, mutual.alone));
  if (s.words.size < ALIGN_MIN_WORDS) return [];
  return sheet.sentences.filter((t) => overlap(s, t) >= ALIGN_MIN);
}

/**
 * A claim's conflicts with the sentences it follows. Benefit of the doubt: a
 * claim that one of them states without conflict is supported (a text may
 * say a thing twice, once with more detail); otherwise the conflicts with
 * the closest one count.
 */
function conflictsOf(s: SentenceFacts, sheet: FactSheet, mutual: Mutual, out: FactProblem[]): void {
  let closest: { problems: FactProblem[]; overlap: number } | null = null;
  for (const t of followed(s, sheet, mutual)) {
    const problems: FactProblem[] = [];
    claimConflicts(s, t, problems);
    if (problems.length === 0) return;
    const o = overlap(s, t) + overlap(t, s);
    if (!closest || o > closest.overlap) closest = { problems, overlap: o };
  }
  if (closest) out.push(...closest.problems);
}

const minus = (a: Set<string>, b: Set<string>): string[] => [...a].filter((x) => !b.has(x));

/** Facts on which one claim contradicts another claim it follows. */
function claimConflicts(s: SentenceFacts, t: SentenceFacts, out: FactProblem[]): void {
  if (s.negations !== t.negations)
    out.push({ kind: 'negation', detail: `${s.negations} negations against ${t.negations}` });
  for (const d of s.directions) {
    if (!t.directions.has(d) && t.directions.has(opposite(d)))
      out.push({ kind: 'direction', detail: `${d} against ${opposite(d)}` });
  }
  const numbers = extra(s.numbers, t.numbers);
  if (numbers.length > 0 && extra(t.numbers, s.numbers).length > 0)
    out.push({ kind: 'number', detail: `${numbers.join(', ')} not in the claim it follows` });
  const entities = minus(s.entities, t.entities);
  if (entities.length > 0 && minus(t.entities, s.entities).length > 0)
    out.push({ kind: 'entity', detail: `${entities.join(', ')} not in the claim it follows` });
}

/** What in `output` the input does not support (grounded policy). Empty: the output is faithful. */
export function groundingProblems(output: FactSheet, input: FactSheet, policy: FactPolicy): FactProblem[] {
  const out: FactProblem[] = [];
  const numbers = minus(output.numbers, input.numbers);
  if (numbers.length > 0) out.push({ kind: 'number', detail: `${numbers.join(', ')} not in the input` });
  const entities = [...output.entities].filter((e) => !input.values.has(e));
  if (entities.length > 0) out.push({ kind: 'entity', detail: `${entities.join(', ')} not in the input` });
  const seen = new Set<string>();
  for (const s of output.sentences) {
    if (s.key.length > 0 && seen.has(s.key)) out.push({ kind: 'repeated', detail: 'a sentence is repeated' });
    seen.add(s.key);
    if (s.words.size > 0 && share(s.words, input.words) < policy.sentenceSupport) {
      out.push({ kind: 'unsupported', detail: `a sentence is mostly words the input does not have` });
    }
    conflictsOf(s, input, null, out);
  }
  return out;
}

/**
 * Facts on which two outputs contradict each other, either way round. Only
 * sentences that share their subject are compared, short ones too: two extracts of
 * one text hold different sentences that share most words but state
 * different, equally true facts. (Grounded outputs are checked against the
 * input instead, where that cannot happen.)
 */
export function replicaConflicts(a: FactSheet, b: FactSheet): FactProblem[] {
  const out: FactProblem[] = [];
  const mutual = { alone: a.sentences.length === 1 && b.sentences.length === 1 };
  for (const s of a.sentences) conflictsOf(s, b, mutual, out);
  for (const s of b.sentences) conflictsOf(s, a, mutual, out);
  return out;
}

/** Distinct content words: how much a text says, for the lazy-output check. */
export function contentSize(sheet: FactSheet): number {
  return sheet.words.size;
}
