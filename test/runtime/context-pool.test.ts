/**
 * When a warm context's memory is sampled: soon after it starts, then at
 * intervals that grow with its age, but never so far ahead that steady
 * growth would carry it far past the recycling threshold unseen.
 */
import { describe, expect, it } from 'vitest';
import { nextSampleAt } from '../../src/runtime/worker/context-pool.js';

const MB = 1024 * 1024;
const THRESHOLD = 8 * MB;
const BASE = MB;

/**
 * The task counts at which a context growing by `perTask` bytes a task is
 * sampled, until `tasks` or until a sample finds it past the threshold (the
 * pool then recycles it).
 */
function schedule(perTask: number, tasks: number): number[] {
  const at: number[] = [];
  for (let next = 1; next <= tasks;) {
    at.push(next);
    const bytes = BASE + perTask * (next - 1);
    if (bytes > THRESHOLD) break;
    next = nextSampleAt(next, bytes, BASE, THRESHOLD);
  }
  return at;
}

describe('memory samples of a warm context', () => {
  it('come at doubling intervals when memory does not grow', () => {
    expect(schedule(0, 2000)).toEqual([1, 17, 34, 68, 136, 272, 544, 1088]);
  });

  it('cost a bounded amount per task whatever the growth', () => {
    // A sample walks the heap, which grows with the tasks run: its cost is about the task count.
    for (const perTask of [0, 10, 100, 1_000, 10_000, 100_000, MB]) {
      const at = schedule(perTask, 100_000);
      const work = at.reduce((sum, tasks) => sum + tasks, 0);
      expect(work / at.at(-1)!, `growth ${perTask} B/task`).toBeLessThan(4);
    }
  });

  it('find steady growth at most an eighth past the threshold, or one task past it', () => {
    for (const perTask of [10, 100, 1_000, 10_000, 100_000, MB, 3 * MB]) {
      const last = schedule(perTask, 1_000_000).at(-1)!;
      const bytes = BASE + perTask * (last - 1);
      // The first two samples (tasks 1 and 17) come before any growth is known.
      if (last > 17)
        expect(bytes, `growth ${perTask} B/task`).toBeLessThanOrEqual(Math.max(THRESHOLD * 1.125, THRESHOLD + perTask));
    }
  });

  it('come at the next task once the threshold is passed', () => {
    expect(nextSampleAt(100, THRESHOLD + 2 * MB, BASE, THRESHOLD)).toBe(101);
  });
});
