/**
 * Sentences of an article, each with its content terms (stems of words and
 * numbers that are not stop words, numbered across the article, with their
 * counts) and its length in words and numbers. The text is analyzed once; its
 * tokens carry the line and the sentence they belong to.
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
/** The token fields this EU reads, one array per field: fewer fields and no per-token objects make the host call
 * cheaper. */
const FIELDS = ['stem', 'type', 'stop', 'sentence', 'line'];

export function defaultLength(n) {
  return Math.min(n, Math.max(MIN_DEFAULT, Math.min(MAX_DEFAULT, Math.round(n * DEFAULT_SHARE))));
}

/** Term id of a token that is not a word or a number, and of a stop word. */
const NOT_COUNTED = -2;
const STOP_WORD = -1;

/**
 * Numbers the content terms of the text (stems of words and numbers that are
 * not stop words) in order of first appearance; other tokens get NOT_COUNTED
 * or STOP_WORD. Terms are keys of a prototype-less object, which QuickJS reads
 * faster than a Map.
 */
function termIds(tokens) {
  const { stem, type, stop } = tokens;
  const ids = new Array(stem.length);
  const known = Object.create(null);
  let vocabulary = 0;
  for (let i = 0; i < stem.length; i++) {
    if (type[i] !== 'word' && type[i] !== 'number') ids[i] = NOT_COUNTED;
    else if (stop[i]) ids[i] = STOP_WORD;
    else {
      let id = known[stem[i]];
      if (id === undefined) {
        id = vocabulary++;
        known[stem[i]] = id;
      }
      ids[i] = id;
    }
  }
  return { ids, vocabulary };
}

/**
 * Builds units from groups of token indexes: each unit's term ids in order of
 * first appearance in it, their counts (`tf`), and its length in words and
 * numbers.
 */
function makeUnits(texts, groups, terms) {
  const { ids } = terms;
  /** For each term id, the unit that last counted it (+1), and where in that unit's lists. */
  const seenIn = new Int32Array(terms.vocabulary);
  const slot = new Int32Array(terms.vocabulary);
  return texts.map((text, u) => {
    const unitIds = [];
    const tf = [];
    let length = 0;
    const group = groups[u];
    for (let k = 0; k < group.length; k++) {
      const id = ids[group[k]];
      if (id === NOT_COUNTED) continue;
      length++;
      if (id === STOP_WORD) continue;
      if (seenIn[id] !== u + 1) {
        seenIn[id] = u + 1;
        slot[id] = unitIds.length;
        unitIds.push(id);
        tf.push(1);
      } else tf[slot[id]]++;
    }
    return { text, ids: unitIds, tf, length };
  });
}

/** Token indexes grouped by the value of `column` (one group for each value from 0 to size - 1). */
function groupBy(column, size) {
  const groups = Array.from({ length: size }, () => []);
  for (let i = 0; i < column.length; i++) groups[column[i]].push(i);
  return groups;
}

/** The text's sentences as units, and how many distinct content terms they hold (ids run from 0 to that - 1). */
export function sentenceUnits(text, host) {
  const tokens = host.nlp.tokenColumns(text, FIELDS);
  const terms = termIds(tokens);
  const lines = text.split('\n');
  const byLine = groupBy(tokens.line, lines.length);
  const sentence = tokens.sentence;
  let nonEmpty = 0;
  let sentencesInLines = 0;
  for (let l = 0; l < lines.length; l++) {
    if (lines[l].trim().length === 0) continue;
    nonEmpty++;
    const seen = new Set();
    for (const i of byLine[l]) seen.add(sentence[i]);
    sentencesInLines += seen.size;
  }
  if (sentencesInLines <= nonEmpty * PROSE_SENTENCES_PER_LINE) {
    const texts = [];
    const groups = [];
    for (let l = 0; l < lines.length; l++) {
      if (lines[l].trim().length === 0) continue;
      texts.push(lines[l].trim());
      groups.push(byLine[l]);
    }
    return { units: makeUnits(texts, groups, terms), vocabulary: terms.vocabulary };
  }
  const sentences = host.nlp.sentences(text);
  return {
    units: makeUnits(sentences, groupBy(sentence, sentences.length), terms),
    vocabulary: terms.vocabulary,
  };
}
