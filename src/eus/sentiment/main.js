/**
 * sentiment: the nlp capability's sentiment of the document and of each
 * sentence, labelled. Scores within ±0.1 of zero are neutral: wink's
 * lexicon gives small scores to plainly factual sentences.
 */
const NEUTRAL_BAND = 0.1;

function label(score) {
  if (score >= NEUTRAL_BAND) return 'positive';
  if (score <= -NEUTRAL_BAND) return 'negative';
  return 'neutral';
}

export function run(input, host) {
  const result = host.nlp.sentiment(input.text);
  return {
    score: result.score,
    label: label(result.score),
    sentences: result.sentences.map((s) => ({ text: s.text, score: s.score, label: label(s.score) })),
  };
}
