/** Keeps what the output schema promises of each keyword: its term and count. */
export function top(keywords) {
  return keywords.map((k) => ({ term: k.term, count: k.count }));
}
