/**
 * Slots on a fake clock: slow start (a newcomer gets few slots whatever it
 * declares, and earns more by completing leases), releases that cost slots
 * and then suspend, a long honest record that absorbs a few releases, and
 * the scheduler measuring load against the grant rather than the declaration.
 */
import { describe, expect, it } from 'vitest';
import { ReputationBook } from '../../src/coordinator/reputation/reputation.js';
import { Scheduler } from '../../src/coordinator/scheduling/scheduler.js';
import {
  FREE_RELEASES,
  grantedSlots,
  releaseSuspension,
  SLOW_START_SLOTS,
  SUSPEND_EXCESS,
} from '../../src/coordinator/reputation/slot-policy.js';
import type { EuState, OperatorState, TaskState } from '../../src/coordinator/memory/state.js';
import { EuManifest } from '../../src/protocol/index.js';

const HOUR = 3_600_000;
const done = (book: ReputationBook, id: string, n: number, at: number) => {
  for (let i = 0; i < n; i++) book.result(id, 'eu', 5, { durationMs: 5 }, at);
};

describe('slot policy', () => {
  it('starts a newcomer at a few slots whatever it declares, and grants one more per completed lease up to the declaration', () => {
    const book = new ReputationBook(HOUR);
    expect(grantedSlots(4096, undefined, false, 0)).toBe(SLOW_START_SLOTS);
    expect(grantedSlots(1, undefined, false, 0)).toBe(1);
    done(book, 'op', 3, 0);
    expect(grantedSlots(4096, book.get('op'), false, 1000)).toBe(SLOW_START_SLOTS + 3);
    done(book, 'op', 100, 1000);
    expect(grantedSlots(8, book.get('op'), false, 2000)).toBe(8);
    expect(grantedSlots(8, book.get('op'), true, 2000)).toBe(4);
  });

  it('lets a few releases go, halves the slots for each one beyond, then suspends', () => {
    const book = new ReputationBook(HOUR);
    const t = (i: number) => i * 1000;
    for (let i = 0; i < FREE_RELEASES; i++) book.leaseReleased('releaser', t(i));
    expect(grantedSlots(4096, book.get('releaser'), false, t(2))).toBe(SLOW_START_SLOTS);
    expect(releaseSuspension(book.get('releaser'), t(2))).toBeNull();
    book.leaseReleased('releaser', t(3));
    expect(grantedSlots(4096, book.get('releaser'), false, t(3))).toBe(SLOW_START_SLOTS / 2);
    for (let i = 1; i < SUSPEND_EXCESS; i++) book.leaseReleased('releaser', t(3 + i));
    expect(grantedSlots(4096, book.get('releaser'), false, t(6))).toBe(1);
    expect(releaseSuspension(book.get('releaser'), t(6))).toMatch(
      /repeated releases: 5.0 leases given back against 0.0 completed/,
    );
  });

  it('forgives a small share of releases in a long honest record', () => {
    const book = new ReputationBook(HOUR);
    done(book, 'honest', 200, 0);
    for (let i = 0; i < 15; i++) book.leaseReleased('honest', 1000 + i);
    expect(grantedSlots(8, book.get('honest'), false, 2000)).toBe(8);
    expect(releaseSuspension(book.get('honest'), 2000)).toBeNull();
  });

  it('keeps counting releases across a round trip through the store (a reconnect or restart resets nothing)', () => {
    const book = new ReputationBook(HOUR);
    for (let i = 0; i < 5; i++) book.leaseReleased('releaser', i);
    const back = new ReputationBook(HOUR);
    back.restore('releaser', 0, book.serialize(book.get('releaser')!), 10);
    expect(releaseSuspension(back.get('releaser'), 10)).toMatch(/repeated releases/);
    expect(grantedSlots(4096, back.get('releaser'), false, 10)).toBe(1);
  });
});

describe('placement against granted slots', () => {
  it('does not see an operator as idle because it declared a huge maxConcurrent', () => {
    const eu: EuState = {
      id: 'e',
      manifest: EuManifest.parse({ name: 'e', version: '1.0.0' }),
      files: {},
      publishedAt: 0,
      owner: 'network',
      checkInput: () => null,
    };
    const op = (id: string, maxConcurrent: number, slots: number): OperatorState => ({
      id,
      publicKey: '',
      region: 'r',
      resources: { cpu: 4, memoryMb: 8192, gpuMemoryMb: 0, capabilities: [], eus: [] },
      maxConcurrent,
      slots,
      status: 'online',
      statusReason: null,
      conn: { connectionId: 1, send: () => {}, close: () => {} },
      active: new Set(),
      sentEus: new Set(),
      firstSeenAt: 0,
      lastSeenAt: 0,
      reconnectDeadline: null,
      lastAssignedAt: 0,
      freeSince: 0,
    });
    const greedy = op('greedy', 4096, 2);
    const honest = op('honest', 4, 4);
    const made: string[] = [];
    const scheduler = new Scheduler({
      qualifies: () => true,
      rank: () => 0,
      assign: (task, o) => {
        made.push(o.id);
        o.active.add(`${task.id}:${o.id}`);
        task.replicas = 0;
      },
    });
    for (let i = 0; i < 6; i++) {
      const task: TaskState = {
        id: `t${i}`,
        eu,
        status: 'pending',
        input: '{}',
        inputHash: '',
        seed: '',
        clock: 0,
        quorum: 1,
        maxReplicas: 1,
        replicas: 1,
        attempts: 0,
        freeAttempts: 0,
        submittedAt: 0,
        assignments: [],
        lostLeases: [],
        queued: false,
        readyAt: 0,
        owner: 'network',
      };
      scheduler.enqueue(task);
    }
    scheduler.run([greedy, honest]);
    expect(made.filter((id) => id === 'greedy')).toHaveLength(2);
    expect(made.filter((id) => id === 'honest')).toHaveLength(4);
  });
});
