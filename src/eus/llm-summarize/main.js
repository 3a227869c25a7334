/**
 * llm-summarize: asks the operator's LLM for a summary of at most `words`
 * words (default 80), at temperature 0 so that honest replicas stay close.
 */
const DEFAULT_WORDS = 80;
/** Tokens allowed per requested word: English runs ~1.3 tokens a word, plus room for punctuation. */
const TOKENS_PER_WORD = 2;

export async function run(input, host) {
  const words = input.words ?? DEFAULT_WORDS;
  const article = input.title ? `${input.title}\n\n${input.text}` : input.text;
  const reply = await host.llm.complete({
    messages: [
      { role: 'system', content: 'You are a news editor. You write faithful, neutral summaries: only facts stated in the article, no preamble.' },
      { role: 'user', content: `Summarize this article in at most ${words} words.\n\n${article}` },
    ],
    maxTokens: words * TOKENS_PER_WORD + 32,
    temperature: 0,
  });
  const summary = reply.text.trim();
  if (summary.length === 0) throw new Error('the LLM returned an empty summary');
  return { summary };
}
