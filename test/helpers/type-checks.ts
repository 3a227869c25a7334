/** Compile-time checks for tests: `Holds<Same<A, B>>` fails to compile unless A and B are assignable both ways. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Holds<T extends true> = T;
