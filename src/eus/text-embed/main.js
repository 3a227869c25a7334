/**
 * text-embed: one vector a text, from the operator's embed.text capability.
 * The capability rounds each component to six decimals, so every honest
 * replica returns the same bytes and the exact policy can compare them.
 */
export function run(input, host) {
  const embeddings = input.input.map((text) => host.embed.text(text));
  return { dimensions: embeddings[0].length, embeddings };
}
