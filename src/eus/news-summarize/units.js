/**
 * Sentences of an article, each with its content terms (stems of words and
 * numbers that are not stop words, with their counts) and its length in
 * words and numbers. The text is analyzed once; its tokens carry the line
 * and the sentence they belong to.
 *
 * Text written one sentence a line (wire copy; the BBC corpus) keeps its
 * lines as sentences: a sentence splitter only adds mistakes there ("The
 * Stage." | "com awards"). Running prose is split into sentences.
 */

/** Share of an article's sentences kept when the caller does not say how many (reference summaries keep ~43%). */
const DEFAULT_SHARE = 0.4;
const MIN_DEFAULT = 3;
const MAX_DEFAULT = 20;
/** Above this many sentences a line on average, the text is running prose, not one sentence a line. */
const PROSE_SENTENCES_PER_LINE = 1.5;
/** The token fields this EU reads; asking for fewer makes the host call cheaper. */
const FIELDS = ['stem', 'type', 'stop', 'sentence', 'line'];

export function defaultLength(n) {
  return Math.min(n, Math.max(MIN_DEFAULT, Math.min(MAX_DEFAULT, Math.round(n * DEFAULT_SHARE))));
}

function unit(text, tokens) {
  const counts = new Map();
  let length = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.type !== 'word' && token.type !== 'number') continue;
    length++;
    if (!token.stop) counts.set(token.stem, (counts.get(token.stem) ?? 0) + 1);
  }
  const terms = [];
  const tf = [];
  counts.forEach((count, term) => {
    terms.push(term);
    tf.push(count);
  });
  return { text, terms, tf, length };
}

function groupBy(tokens, key, size) {
  const groups = Array.from({ length: size }, () => []);
  for (let i = 0; i < tokens.length; i++) groups[tokens[i][key]].push(tokens[i]);
  return groups;
}

export function sentenceUnits(text, host) {
  const tokens = host.nlp.tokens(text, FIELDS);
  const lines = text.split('\n');
  const byLine = groupBy(tokens, 'line', lines.length);
  let nonEmpty = 0;
  let sentencesInLines = 0;
  for (let l = 0; l < lines.length; l++) {
    if (lines[l].trim().length === 0) continue;
    nonEmpty++;
    sentencesInLines += new Set(byLine[l].map((t) => t.sentence)).size;
  }
  if (sentencesInLines <= nonEmpty * PROSE_SENTENCES_PER_LINE) {
    const units = [];
    for (let l = 0; l < lines.length; l++) if (lines[l].trim().length > 0) units.push(unit(lines[l].trim(), byLine[l]));
    return units;
  }
  const sentences = host.nlp.sentences(text);
  const bySentence = groupBy(tokens, 'sentence', sentences.length);
  return sentences.map((sentence, s) => unit(sentence, bySentence[s]));
}
