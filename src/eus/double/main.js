/** Doubles `x`. */
export function run(input) {
  return { y: input.x * 2 };
}
