/**
 * news-summarize: picks the article's most representative sentences and
 * returns them in article order.
 *
 * A sentence scores by two signals, each scaled to [0, 1] over the article
 * and added:
 * - centrality: the sum of its cosine similarities (TF-IDF over content-word
 *   stems) with every other sentence, times the square root of its length —
 *   a sentence that restates what many others say is what the article is about;
 * - term frequency: how often its content words recur in the rest of the
 *   article, times its length — sentences dense in the article's recurring
 *   names and topics.
 * Length enters because a summary is read for content: at an equal number of
 * sentences, a short one carries less. Ties go to the earlier sentence.
 *
 * Text written one sentence a line (wire copy; the BBC corpus) keeps its
 * lines as sentences; running text is split with the nlp capability.
 */
import { defaultLength, sentenceUnits } from './units.js';

const METHOD = 'centrality+term-frequency';

export function run(input, host) {
  const { units, vocabulary } = sentenceUnits(input.text, host);
  const wanted = Math.min(units.length, input.sentences ?? defaultLength(units.length));
  if (units.length <= wanted) return { summary: units.map((u) => u.text), method: METHOD };

  const centrality = centralityScores(units, vocabulary);
  const frequency = frequencyScores(units, vocabulary);
  const maxCentrality = Math.max(...centrality) || 1;
  const maxFrequency = Math.max(...frequency) || 1;
  const ranked = units
    .map((unit, index) => ({ index, score: centrality[index] / maxCentrality + frequency[index] / maxFrequency }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, wanted)
    .sort((a, b) => a.index - b.index);
  return { summary: ranked.map((r) => units[r.index].text), method: METHOD };
}

/**
 * Each unit's TF-IDF weights, normalized, in the order of its terms. Sums run
 * in a fixed order (the unit's terms, then the pairs of units by the later
 * one), so every machine adds the same numbers in the same order.
 */
function centralityScores(units, vocabulary) {
  const n = units.length;
  const documentFrequency = new Int32Array(vocabulary);
  for (const unit of units) for (const id of unit.ids) documentFrequency[id]++;
  const vectors = units.map((unit) => {
    const weights = new Array(unit.ids.length);
    let norm = 0;
    for (let t = 0; t < unit.ids.length; t++) {
      const weight = (1 + Math.log(unit.tf[t])) * Math.log((1 + n) / documentFrequency[unit.ids[t]]);
      weights[t] = weight;
      norm += weight * weight;
    }
    norm = Math.sqrt(norm) || 1;
    for (let t = 0; t < weights.length; t++) weights[t] = weights[t] / norm;
    return weights;
  });
  // The later unit of each pair is spread over the vocabulary (weights are positive: 0 means absent), and each
  // earlier one walks its own terms against it.
  const spread = new Float64Array(vocabulary);
  const sums = new Array(n).fill(0);
  for (let j = 1; j < n; j++) {
    const idsJ = units[j].ids;
    const weightsJ = vectors[j];
    for (let t = 0; t < idsJ.length; t++) spread[idsJ[t]] = weightsJ[t];
    for (let i = 0; i < j; i++) {
      const ids = units[i].ids;
      const weights = vectors[i];
      let dot = 0;
      for (let t = 0; t < ids.length; t++) {
        const w = spread[ids[t]];
        if (w !== 0) dot += weights[t] * w;
      }
      sums[i] += dot;
      sums[j] += dot;
    }
    for (let t = 0; t < idsJ.length; t++) spread[idsJ[t]] = 0;
  }
  return sums.map((sum, i) => sum * Math.sqrt(units[i].length));
}

function frequencyScores(units, vocabulary) {
  const total = new Int32Array(vocabulary);
  for (const unit of units) for (let t = 0; t < unit.ids.length; t++) total[unit.ids[t]] += unit.tf[t];
  return units.map((unit) => {
    let recurring = 0;
    for (let t = 0; t < unit.ids.length; t++) recurring += total[unit.ids[t]] - unit.tf[t];
    return (recurring / (unit.length + 1)) * unit.length;
  });
}
