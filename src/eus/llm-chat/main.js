/**
 * llm-chat: sends the conversation to the operator's LLM and returns its
 * reply. Temperature defaults to 0, so that honest replicas stay close
 * enough to agree; a caller may raise it and accept more escalations.
 *
 * The output holds only the reply as text: the semantic verifier embeds an
 * output's strings, so the finish reason travels as a boolean and the token
 * counts as numbers, neither of which sways agreement.
 */
const DEFAULT_MAX_TOKENS = 512;

export async function run(input, host) {
  const reply = await host.llm.complete({
    messages: input.messages,
    maxTokens: input.maxTokens ?? DEFAULT_MAX_TOKENS,
    temperature: input.temperature ?? 0,
  });
  const text = reply.text.trim();
  if (text.length === 0) throw new Error('the LLM returned an empty reply');
  const output = { text, truncated: reply.finishReason === 'length' };
  if (reply.usage) output.usage = { promptTokens: reply.usage.promptTokens, completionTokens: reply.usage.completionTokens };
  return output;
}
