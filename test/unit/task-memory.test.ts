import { describe, expect, it } from 'vitest';
import { TaskMemory } from '../../src/coordinator/memory/task-memory.js';
import type { AssignmentState, TaskState } from '../../src/coordinator/memory/state.js';

function task(id: string, input: string | null, assignments: string[] = []): TaskState {
  return {
    id,
    input,
    assignments: assignments.map((a) => ({ id: a, taskId: id }) as AssignmentState),
  } as TaskState;
}

describe('TaskMemory: the input cache has one owner', () => {
  it('holds inputs while they fit and refuses, taking nothing, once they do not', () => {
    const memory = new TaskMemory(10);
    expect(memory.holdInput('123456')).toBe(true);
    expect(memory.holdInput('12345')).toBe(false);
    expect(memory.inputCacheBytes).toBe(6);
    expect(memory.holdInput('1234')).toBe(true);
    expect(memory.inputCacheBytes).toBe(10);
  });

  it('forgetting a finished task drops it, its assignments and the bytes of its input', () => {
    const memory = new TaskMemory(100);
    const held = task('t1', '{"a":1}', ['a1', 'a2']);
    memory.holdInput(held.input!);
    memory.tasks.set(held.id, held);
    for (const a of held.assignments) memory.assignments.set(a.id, a);
    const unheld = task('t2', null, ['a3']);
    memory.tasks.set(unheld.id, unheld);
    memory.assignments.set('a3', unheld.assignments[0]!);

    memory.forget(held);
    expect(held.input).toBeNull();
    expect(memory.inputCacheBytes).toBe(0);
    expect([...memory.tasks.keys()]).toEqual(['t2']);
    expect([...memory.assignments.keys()]).toEqual(['a3']);
    // A task whose input was read from the store frees nothing it did not take.
    memory.forget(unheld);
    expect(memory.inputCacheBytes).toBe(0);
    expect(memory.tasks.size).toBe(0);
  });
});
