/**
 * The `nlp` host capability: what an EU reaches as `host.nlp.*`. Every method
 * takes plain JSON arguments and returns plain JSON, and is deterministic (the
 * same text gives the same answer on every operator running the same model
 * version), so EUs built on it can be verified by exact comparison.
 */
import { CortenError } from '../../protocol/index.js';
import type { NlpEntity, NlpToken, WinkAnalyzer } from './wink.js';

/** Longest text one call may analyze (~35,000 words, ~0.3 s of analysis). */
export const MAX_NLP_TEXT_CHARS = 200_000;
const KEYWORD_POS = new Set(['NOUN', 'PROPN', 'ADJ']);
const MAX_KEYWORDS = 100;
const TOKEN_FIELDS: ReadonlySet<string> = new Set([
  'value',
  'normal',
  'stem',
  'pos',
  'type',
  'stop',
  'negated',
  'sentence',
  'line',
]);

export interface SentimentResult {
  /** Sentiment of the whole text, in [-1, 1]. */
  score: number;
  sentences: { text: string; score: number }[];
}

export interface Keyword {
  term: string;
  count: number;
  /** count / count of the most frequent keyword, in (0, 1]. */
  score: number;
}

/** Throws the argument error an EU sees as a TypeError. */
export function badArgument(message: string): CortenError {
  return new CortenError('VALIDATION_FAILED', message);
}

function requireText(method: string, text: unknown): string {
  if (typeof text !== 'string')
    throw badArgument(`host.nlp.${method}(text): text must be a string, got ${text === null ? 'null' : typeof text}`);
  if (text.length > MAX_NLP_TEXT_CHARS)
    throw badArgument(
      `host.nlp.${method}(text): text has ${text.length} characters; the limit is ${MAX_NLP_TEXT_CHARS}`,
    );
  return text;
}

function requireFields(method: string, fields: unknown): (keyof NlpToken)[] {
  if (
    !Array.isArray(fields) ||
    fields.length === 0 ||
    !fields.every((f) => typeof f === 'string' && TOKEN_FIELDS.has(f))
  ) {
    throw badArgument(
      `host.nlp.${method}(text, fields): fields must be a non-empty array of ${[...TOKEN_FIELDS].join(', ')}`,
    );
  }
  return fields as (keyof NlpToken)[];
}

export class NlpCapability {
  constructor(private readonly wink: WinkAnalyzer) {}

  /** The text's sentences, trimmed. */
  sentences(text: unknown): string[] {
    return this.wink.analyze(requireText('sentences', text)).sentences;
  }

  /**
   * The text's tokens (no whitespace), each with its sentence index. `fields`
   * picks the token properties to return (all by default): objects cross into
   * the sandbox as JSON, and an EU that needs three of the eight fields pays
   * for three.
   */
  tokens(text: unknown, fields?: unknown): Partial<NlpToken>[] {
    const tokens = this.wink.analyze(requireText('tokens', text)).tokens;
    if (fields === undefined || fields === null) return tokens;
    const picked = requireFields('tokens', fields);
    return tokens.map((token) => {
      const out: Record<string, unknown> = {};
      for (const field of picked) out[field] = token[field];
      return out as Partial<NlpToken>;
    });
  }

  /**
   * The same tokens as `tokens(text, fields)`, one array per field instead of
   * one object per token: `{stem: [...], line: [...]}`, each as long as the
   * text has tokens. Inside the sandbox, parsing a few arrays costs a fraction
   * of parsing hundreds of small objects (~4 µs each in QuickJS).
   */
  tokenColumns(text: unknown, fields: unknown): Partial<Record<keyof NlpToken, unknown[]>> {
    const tokens = this.wink.analyze(requireText('tokenColumns', text)).tokens;
    const columns: Partial<Record<keyof NlpToken, unknown[]>> = {};
    for (const field of requireFields('tokenColumns', fields)) columns[field] = tokens.map((token) => token[field]);
    return columns;
  }

  /** Sentiment of the document and of each sentence. */
  sentiment(text: unknown): SentimentResult {
    const analyzed = this.wink.analyze(requireText('sentiment', text));
    return {
      score: analyzed.sentiment,
      sentences: analyzed.sentences.map((s, i) => ({ text: s, score: analyzed.sentenceSentiments[i] ?? 0 })),
    };
  }

  /**
   * The `n` most frequent content terms (nouns, proper nouns, adjectives; no
   * stop words; normalized), ties broken by first appearance.
   */
  keywords(text: unknown, n: unknown = 10): Keyword[] {
    const checked = requireText('keywords', text);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_KEYWORDS) {
      throw badArgument(`host.nlp.keywords(text, n): n must be an integer from 1 to ${MAX_KEYWORDS}`);
    }
    const counts = new Map<string, { count: number; first: number }>();
    this.wink.analyze(checked).tokens.forEach((token, index) => {
      if (token.type !== 'word' || token.stop || !KEYWORD_POS.has(token.pos) || token.normal.length < 3) return;
      const seen = counts.get(token.normal);
      if (seen === undefined) counts.set(token.normal, { count: 1, first: index });
      else seen.count++;
    });
    const ranked = [...counts].sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first).slice(0, n);
    const top = ranked[0]?.[1].count ?? 1;
    return ranked.map(([term, { count }]) => ({ term, count, score: count / top }));
  }

  /** Named entities: dates, amounts, percentages, ordinals, URLs, e-mail addresses … */
  entities(text: unknown): NlpEntity[] {
    return this.wink.analyze(requireText('entities', text)).entities;
  }
}
