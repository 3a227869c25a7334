/**
 * Makes this worker thread's local time zone UTC, for the sandbox's sake.
 *
 * QuickJS (compiled by Emscripten) computes local time — `getHours()`,
 * `getTimezoneOffset()`, parsing dates without a zone — through the host's
 * `Date`, so EUs on operators in different zones would see different
 * answers for the same instant and fail exact verification. Pointing the
 * local-time getters of this thread's own `Date` at their UTC twins, before
 * the QuickJS module loads, gives every sandbox the same zone. Worker threads
 * have their own globals, so the operator's main thread is untouched; nothing
 * else in a sandbox worker reads local time.
 */
export function pinLocalTimeToUtc(): void {
  const proto = Date.prototype as unknown as Record<string, unknown>;
  for (const part of ['FullYear', 'Month', 'Date', 'Day', 'Hours', 'Minutes', 'Seconds', 'Milliseconds']) {
    proto[`get${part}`] = proto[`getUTC${part}`];
  }
  proto.getTimezoneOffset = function getTimezoneOffset(): number {
    return 0;
  };
}
