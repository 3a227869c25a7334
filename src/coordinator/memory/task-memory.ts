/**
 * Open tasks, their assignments, and the task inputs held in memory for them. One owner
 * for the three, so that the input cache's byte count changes in one place: a task's
 * input is held when it is created (if the cache has room) and let go when it finishes.
 * A task whose input was not held has it read from the store when it is sent.
 */
import type { AssignmentState, TaskState } from './state.js';

export class TaskMemory {
  /** Open tasks (not yet verified or failed). */
  readonly tasks = new Map<string, TaskState>();
  /** Assignments of open tasks. */
  readonly assignments = new Map<string, AssignmentState>();
  private heldBytes = 0;

  /** @param limitBytes inputs held at most, in bytes of JSON text (config.inputCacheBytes). */
  constructor(private readonly limitBytes: number) {}

  /** Bytes of task inputs held in memory now. */
  get inputCacheBytes(): number {
    return this.heldBytes;
  }

  /** Takes room for an input of `text`; false, taking nothing, when it does not fit. */
  holdInput(text: string): boolean {
    if (this.heldBytes + text.length > this.limitBytes) return false;
    this.heldBytes += text.length;
    return true;
  }

  /** Forgets a finished task: it, its assignments and its held input. */
  forget(task: TaskState): void {
    this.tasks.delete(task.id);
    for (const a of task.assignments) this.assignments.delete(a.id);
    if (task.input !== null) this.heldBytes -= task.input.length;
    task.input = null;
  }
}
