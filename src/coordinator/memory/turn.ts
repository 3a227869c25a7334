/**
 * One turn of the engine's loop: the writes it will commit, and the effects
 * (frames to operators, replies to callers) that may happen only after the
 * commit succeeds. Nothing leaves the coordinator before its state is durable.
 */
import type { EventMap, EventType, WireAssignment, WireEu } from '../../protocol/index.js';
import { ChangeSet, type AssignmentUpdate, type TaskRow } from '../../store/index.js';
import type { AssignmentState, OperatorConnection, OperatorState, TaskState } from './state.js';

interface ConnectionOutbox {
  conn: OperatorConnection;
  /** Frames that must precede any assignment (welcome, acks, cancels), already serialised. */
  control: string[];
  accepted: string[];
  refused: { assignmentId: string; code: string; message: string }[];
  cancelled: string[];
  cancelReason: string;
  eus: WireEu[];
  assignments: { wire: Omit<WireAssignment, 'input'>; task: TaskState; readySince: number }[];
}

export class Turn {
  readonly changes = new ChangeSet();
  /** Tasks whose row must be rewritten at the end of the turn. */
  readonly dirtyTasks = new Set<TaskState>();
  /**
   * Rows of the tasks this turn inserts, by id, until the commit: a task placed in the turn
   * that created it has its row written once, as it stands at the end of the turn, not
   * inserted and then updated (an UPDATE rewrites every index on its status).
   */
  readonly insertedTasks = new Map<string, TaskRow>();
  /** Assignment updates of this turn, by id: a second update of the same row merges into the first. */
  private readonly assignmentUpdates = new Map<string, AssignmentUpdate>();
  private readonly outboxes = new Map<number, ConnectionOutbox>();
  private readonly after: (() => void)[] = [];
  /** Connections to close once the turn is durable, after their last frames went out. */
  private readonly closes: { conn: OperatorConnection; code: number; reason: string }[] = [];
  /** Owners of the tasks that left memory in this turn: their last events are given owners at the commit. */
  readonly finishedOwners = new Map<string, string>();

  constructor(readonly now: number) {}

  event<T extends EventType>(
    type: T,
    data: EventMap[T],
    refs: { taskId?: string | null; operatorId?: string | null } = {},
  ): void {
    this.changes.event(type, this.now, data, refs);
  }

  /**
   * Updates an assignment row. Call it before changing `a` in memory: its
   * attempt and status now are the lease fence, what the store must still
   * hold for the update to land (else the commit fails with STALE_FENCE).
   * A result and the verdict it completes often land in the same turn;
   * merging their updates saves a write per result, and the merged update
   * keeps the fence of the first, the row as the store has it.
   */
  updateAssignment(a: Pick<AssignmentState, 'id' | 'attempt' | 'status'>, set: AssignmentUpdate): void {
    const pending = this.assignmentUpdates.get(a.id);
    if (pending) {
      Object.assign(pending, set);
      return;
    }
    const own = { ...set };
    this.assignmentUpdates.set(a.id, own);
    this.changes.push({ op: 'assignment.update', id: a.id, fence: { attempt: a.attempt, status: a.status }, set: own });
  }

  /** Runs `fn` after the commit (resolve a caller's promise, say). */
  afterCommit(fn: () => void): void {
    this.after.push(fn);
  }

  /**
   * Closes a connection after the commit. A close is an effect like a frame:
   * the peer acts on it (an agent reconnects, resumes what it holds), so it
   * must not see it for a change that may yet fail to commit.
   */
  close(conn: OperatorConnection, code: number, reason: string): void {
    this.closes.push({ conn, code, reason });
  }

  private outbox(conn: OperatorConnection): ConnectionOutbox {
    let box = this.outboxes.get(conn.connectionId);
    if (!box) {
      box = { conn, control: [], accepted: [], refused: [], cancelled: [], cancelReason: '', eus: [], assignments: [] };
      this.outboxes.set(conn.connectionId, box);
    }
    return box;
  }

  sendControl(conn: OperatorConnection, message: object): void {
    this.outbox(conn).control.push(JSON.stringify(message));
  }

  ack(conn: OperatorConnection, assignmentId: string): void {
    this.outbox(conn).accepted.push(assignmentId);
  }

  refuse(conn: OperatorConnection, assignmentId: string, code: string, message: string): void {
    this.outbox(conn).refused.push({ assignmentId, code, message });
  }

  cancel(conn: OperatorConnection, assignmentId: string, reason: string): void {
    const box = this.outbox(conn);
    box.cancelled.push(assignmentId);
    box.cancelReason = reason;
  }

  /** Queues an assignment for its operator; `readySince` is when it could first have been placed. */
  assign(
    op: OperatorState,
    wire: Omit<WireAssignment, 'input'>,
    task: TaskState,
    eu: WireEu | null,
    readySince: number,
  ): void {
    const box = this.outbox(op.conn!);
    if (eu) box.eus.push(eu);
    box.assignments.push({ wire, task, readySince });
  }

  /** Tasks whose input must be fetched from the store before their assignments can be sent. */
  tasksMissingInput(): TaskState[] {
    const missing = new Set<TaskState>();
    for (const box of this.outboxes.values())
      for (const { task } of box.assignments) if (task.input === null) missing.add(task);
    return [...missing];
  }

  /**
   * Sends every frame, then closes the connections the turn closed, then
   * runs the after-commit callbacks; `inputs` supplies the inputs not held
   * in memory. `onSent` receives, per assignment, when it could first have
   * been placed.
   */
  flush(inputs: Map<string, string>, onSent: (readySince: number) => void): void {
    for (const box of this.outboxes.values()) {
      // Everything for one connection goes out as one frame (a JSON array when
      // there is more than one message): a result's ack and the next
      // assignment for the slot it freed usually travel together.
      const messages = [...box.control];
      if (box.accepted.length > 0 || box.refused.length > 0) {
        messages.push(JSON.stringify({ t: 'ack', accepted: box.accepted, refused: box.refused }));
      }
      if (box.cancelled.length > 0) {
        messages.push(JSON.stringify({ t: 'cancel', assignmentIds: box.cancelled, reason: box.cancelReason }));
      }
      if (box.assignments.length > 0) {
        // Inputs are spliced in as the JSON text they are stored as: no parse and re-serialise per task.
        const parts = box.assignments.map(({ wire, task }) => {
          const input = task.input ?? inputs.get(task.id) ?? 'null';
          const head = JSON.stringify(wire);
          return `${head.slice(0, -1)},"input":${input}}`;
        });
        messages.push(`{"t":"assign","eus":${JSON.stringify(box.eus)},"assignments":[${parts.join(',')}]}`);
        for (const { readySince } of box.assignments) onSent(readySince);
      }
      if (messages.length === 1) box.conn.send(messages[0]!);
      else if (messages.length > 1) box.conn.send(`[${messages.join(',')}]`);
    }
    for (const { conn, code, reason } of this.closes) conn.close(code, reason);
    for (const fn of this.after) fn();
  }
}
