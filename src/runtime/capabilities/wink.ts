/**
 * The one place that talks to wink-nlp. It loads the English lite model with
 * the full pipe (sentence boundaries, negation, sentiment, part of speech,
 * named entities) once per thread, and turns a text into plain data
 * (`AnalyzedText`) that the `nlp` host capability and the embedders share.
 *
 * Analyses are cached by text (a few of them): an EU typically asks for the
 * sentences and then the tokens of the same text, and reading a 400-word
 * article costs ~1.5 ms, the bulk of a summarization.
 */
import { createRequire } from 'node:module';

/** One token, as EUs see it through `host.nlp.tokens`. */
export interface NlpToken {
  /** The token as written. */
  value: string;
  /** Lowercased, normalized form. */
  normal: string;
  /** Porter2 stem of the normal form. */
  stem: string;
  /** Universal POS tag: NOUN, VERB, PROPN … */
  pos: string;
  /** word, number, punctuation, symbol, currency, url, emoji … */
  type: string;
  /** True for a stop word (the, of, and …). */
  stop: boolean;
  /** True inside the scope of a negation ("not good"). */
  negated: boolean;
  /** Index of the sentence the token belongs to. */
  sentence: number;
  /** Index of the line of the text the token is on (lines end at \n), from 0. */
  line: number;
}

export interface NlpEntity {
  text: string;
  /** DATE, MONEY, PERCENT, CARDINAL, ORDINAL, DURATION, TIME, EMAIL, URL, HASHTAG, MENTION … */
  type: string;
  sentence: number;
}

export interface AnalyzedText {
  sentences: string[];
  /** Tokens, without whitespace and line breaks. */
  tokens: NlpToken[];
  /** Sentiment of the whole text, in [-1, 1]. */
  sentiment: number;
  /** Sentiment of each sentence, in [-1, 1]. */
  sentenceSentiments: number[];
  entities: NlpEntity[];
}

/** The pipe annotations wink's lite English model supports and corten uses. */
export const WINK_PIPE = ['sbd', 'negation', 'sentiment', 'pos', 'ner'] as const;
/** Analyses kept per thread; enough for an EU's repeated calls on one text. */
const CACHE_SIZE = 8;
const WHITESPACE_TYPES = new Set(['tabCRLF', 'spaces']);

interface WinkCollection {
  out(f?: unknown, g?: unknown): unknown;
  each(cb: (item: WinkItem, index: number) => void): void;
  length(): number;
}
interface WinkItem {
  out(f?: unknown, g?: unknown): unknown;
}
interface WinkDoc {
  tokens(): WinkCollection;
  sentences(): WinkCollection;
  entities(): WinkCollection;
  out(f?: unknown): unknown;
}
interface WinkInstance {
  readDoc(text: string): WinkDoc;
  its: Record<string, unknown>;
  as: Record<string, unknown>;
}

/** wink-nlp with its model loaded; construct through `loadWink()`. */
export class WinkAnalyzer {
  private readonly cache = new Map<string, AnalyzedText>();

  constructor(private readonly nlp: WinkInstance) {}

  /** Reads a text; the result is shared between callers and must not be mutated. */
  analyze(text: string): AnalyzedText {
    const hit = this.cache.get(text);
    if (hit !== undefined) return hit;
    const analyzed = this.read(text);
    this.cache.set(text, analyzed);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    return analyzed;
  }

  private read(text: string): AnalyzedText {
    const its = this.nlp.its;
    const doc = this.nlp.readDoc(text);
    const all = doc.tokens();
    const values = all.out(its.value) as string[];
    const normals = all.out(its.normal) as string[];
    const stems = all.out(its.stem) as string[];
    const pos = all.out(its.pos) as string[];
    const types = all.out(its.type) as string[];
    const stops = all.out(its.stopWordFlag) as boolean[];
    const negations = all.out(its.negationFlag) as boolean[];
    const spaces = all.out(its.precedingSpaces) as string[];
    const sentenceOf = new Int32Array(values.length);
    const sentences: string[] = [];
    const sentenceSentiments: number[] = [];
    doc.sentences().each((sentence, index) => {
      const [start, end] = sentence.out(its.span) as [number, number];
      sentenceOf.fill(index, start, end + 1);
      sentences.push((sentence.out() as string).trim());
      sentenceSentiments.push(sentence.out(its.sentiment) as number);
    });
    const tokens: NlpToken[] = [];
    let line = 0;
    for (let i = 0; i < values.length; i++) {
      line += newlines(spaces[i]!);
      if (WHITESPACE_TYPES.has(types[i]!)) {
        line += newlines(values[i]!);
        continue;
      }
      tokens.push({
        value: values[i]!,
        normal: normals[i]!,
        stem: stems[i]!,
        pos: pos[i]!,
        type: types[i]!,
        stop: stops[i]!,
        negated: negations[i]!,
        sentence: sentenceOf[i]!,
        line,
      });
    }
    const entities: NlpEntity[] = [];
    doc.entities().each((entity) => {
      const detail = entity.out(its.detail) as { value: string; type: string };
      const [start] = entity.out(its.span) as [number, number];
      entities.push({ text: detail.value, type: detail.type, sentence: sentenceOf[start] ?? 0 });
    });
    return { sentences, tokens, sentiment: doc.out(its.sentiment) as number, sentenceSentiments, entities };
  }
}

function newlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

let loaded: WinkAnalyzer | undefined;

type WinkFactory = (model: unknown, pipe: string[], wordVectors?: unknown) => WinkInstance;

/**
 * wink-nlp and its English model, required on first use rather than imported:
 * the model costs ~120 ms and ~30 MB, and most importers of the runtime (the
 * coordinator parsing manifests) never analyze a text.
 */
export function winkModules(): { winkNLP: WinkFactory; model: unknown } {
  const require = createRequire(import.meta.url);
  return { winkNLP: require('wink-nlp') as WinkFactory, model: require('wink-eng-lite-web-model') as unknown };
}

/** The thread's wink analyzer, loading the model (~120 ms) on first use. */
export function loadWink(): WinkAnalyzer {
  if (loaded === undefined) {
    const { winkNLP, model } = winkModules();
    loaded = new WinkAnalyzer(winkNLP(model, [...WINK_PIPE]));
  }
  return loaded;
}
