/**
 * Rows and the per-test store of the Store contract. A backend is one
 * function: open the store at a fresh place (a folder for SQLite, a schema
 * for PostgreSQL), unmigrated, read-only when asked.
 */
import { afterEach, beforeEach } from 'vitest';
import {
  ChangeSet,
  type AssignmentRow,
  type EuRow,
  type OperatorRow,
  type Store,
  type TaskRow,
} from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

/** Opens a backend's store at `place` without migrating it; `readonly` opens an existing one for reading only. */
export type OpenStore = (place: string, options: { readonly?: boolean }) => Store | Promise<Store>;

export interface StoreContext {
  /** The test's store, at a fresh place, migrated. */
  readonly store: Store;
  /** Where the test's store lives (the place handed to OpenStore). */
  readonly place: string;
  /** Opens another store at the test's place (closed after the test); migrated unless `migrate: false`. */
  open(options?: { readonly?: boolean; migrate?: boolean }): Promise<Store>;
  /** Closes the test's store and opens it again at the same place. */
  reopen(): Promise<Store>;
  /** A further fresh place that holds no store yet (removed after the test). */
  emptyPlace(): string;
  /** Opens a store at `place` through the backend, unmigrated (closed after the test). */
  openAt(place: string, options: { readonly?: boolean }): Promise<Store>;
}

/** Registers the hooks that give each test a fresh store; read the context inside tests only. */
export function storeContext(label: string, openStore: OpenStore): StoreContext {
  let dir: ReturnType<typeof tempDir>;
  let main: Store;
  let extra: Store[] = [];
  let places: ReturnType<typeof tempDir>[] = [];
  const openAt = async (place: string, options: { readonly?: boolean }): Promise<Store> => {
    const store = await openStore(place, options.readonly ? { readonly: true } : {});
    extra.push(store);
    return store;
  };
  const open = async (options: { readonly?: boolean; migrate?: boolean } = {}): Promise<Store> => {
    const store = await openAt(dir.path, options);
    if (!options.readonly && options.migrate !== false) await store.migrate();
    return store;
  };
  beforeEach(async (context) => {
    dir = tempDir(`contract-${label}-${context.task.name}`);
    main = await openStore(dir.path, {});
    await main.migrate();
  });
  afterEach(async (context) => {
    for (const store of [main, ...extra]) await store.close();
    extra = [];
    const failed = context.task.result?.state === 'fail';
    for (const place of [dir, ...places]) place.cleanup(failed);
    places = [];
  });
  return {
    get store() {
      return main;
    },
    get place() {
      return dir.path;
    },
    open,
    openAt,
    emptyPlace() {
      const place = tempDir(`contract-${label}-empty`);
      places.push(place);
      return place.path;
    },
    async reopen() {
      await main.close();
      main = await openStore(dir.path, {});
      await main.migrate();
      return main;
    },
  };
}

export function euRow(id = 'eu_1', over: Partial<EuRow> = {}): EuRow {
  return { id, name: 'e', version: '1.0.0', manifest: '{}', files: '{}', publishedAt: 1, owner: 'network', ...over };
}

export function taskRow(id: string, over: Partial<TaskRow> = {}): TaskRow {
  return {
    id,
    euId: 'eu_1',
    status: 'pending',
    input: '{"n":1}',
    inputHash: 'h',
    seed: 's',
    clock: 1,
    quorum: 2,
    maxReplicas: 5,
    replicas: 2,
    attempts: 0,
    outputHash: null,
    resultAssignmentId: null,
    failure: null,
    failureMessage: null,
    submittedAt: 1,
    updatedAt: 1,
    finishedAt: null,
    owner: 'acct_1',
    ...over,
  };
}

export function assignmentRow(
  id: string,
  taskId: string,
  attempt: number,
  over: Partial<AssignmentRow> = {},
): AssignmentRow {
  return {
    id,
    taskId,
    operatorId: 'op_1',
    attempt,
    status: 'leased',
    leasedAt: 10,
    leaseExpiresAt: 100,
    finishedAt: null,
    output: null,
    outputHash: null,
    errorCode: null,
    signature: null,
    signatureProof: null,
    durationMs: null,
    cpuMs: null,
    memoryMb: null,
    endReason: null,
    ...over,
  };
}

export function operatorRow(id: string, over: Partial<OperatorRow> = {}): OperatorRow {
  return {
    id,
    publicKey: `pk_${id}`,
    region: 'eu-west',
    status: 'online',
    resources: '{"cpu":2}',
    maxConcurrent: 4,
    firstSeenAt: 1,
    lastSeenAt: 1,
    statusReason: null,
    ...over,
  };
}

/** A change set that publishes the EU every task row of the fixtures names. */
export function withEu(): ChangeSet {
  const cs = new ChangeSet();
  cs.push({ op: 'eu.insert', row: euRow() });
  return cs;
}

/** A change set with the EU, task `t1` and its first lease `a1` (leased to op_1). */
export function withLease(): ChangeSet {
  const cs = withEu();
  cs.push({ op: 'task.insert', row: taskRow('t1', { status: 'running', attempts: 1 }) });
  cs.push({ op: 'assignment.insert', row: assignmentRow('a1', 't1', 1) });
  return cs;
}
