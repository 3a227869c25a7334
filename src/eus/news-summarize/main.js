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
  const units = sentenceUnits(input.text, host);
  const wanted = Math.min(units.length, input.sentences ?? defaultLength(units.length));
  if (units.length <= wanted) return { summary: units.map((u) => u.text), method: METHOD };

  const centrality = centralityScores(units);
  const frequency = frequencyScores(units);
  const maxCentrality = Math.max(...centrality) || 1;
  const maxFrequency = Math.max(...frequency) || 1;
  const ranked = units
    .map((unit, index) => ({ index, score: centrality[index] / maxCentrality + frequency[index] / maxFrequency }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, wanted)
    .sort((a, b) => a.index - b.index);
  return { summary: ranked.map((r) => units[r.index].text), method: METHOD };
}

function centralityScores(units) {
  const n = units.length;
  const documentFrequency = new Map();
  for (const unit of units) for (const term of unit.terms) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const vectors = units.map((unit) => {
    const weights = new Map();
    let norm = 0;
    for (let t = 0; t < unit.terms.length; t++) {
      const weight = (1 + Math.log(unit.tf[t])) * Math.log((1 + n) / documentFrequency.get(unit.terms[t]));
      weights.set(unit.terms[t], weight);
      norm += weight * weight;
    }
    norm = Math.sqrt(norm) || 1;
    weights.forEach((weight, term) => weights.set(term, weight / norm));
    return weights;
  });
  const sums = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    const terms = units[i].terms;
    for (let j = i + 1; j < n; j++) {
      const other = vectors[j];
      let dot = 0;
      for (let t = 0; t < terms.length; t++) {
        const w = other.get(terms[t]);
        if (w !== undefined) dot += vectors[i].get(terms[t]) * w;
      }
      sums[i] += dot;
      sums[j] += dot;
    }
  }
  return sums.map((sum, i) => sum * Math.sqrt(units[i].length));
}

function frequencyScores(units) {
  const total = new Map();
  for (const unit of units) for (let t = 0; t < unit.terms.length; t++) total.set(unit.terms[t], (total.get(unit.terms[t]) ?? 0) + unit.tf[t]);
  return units.map((unit) => {
    let recurring = 0;
    for (let t = 0; t < unit.terms.length; t++) recurring += total.get(unit.terms[t]) - unit.tf[t];
    return (recurring / (unit.length + 1)) * unit.length;
  });
}
