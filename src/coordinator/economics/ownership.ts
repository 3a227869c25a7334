/**
 * Who owns what, and who may read it.
 *
 * Every task, EU name, event and receipt has an owner:
 *
 *   acct_…      an account: what it submitted (its tasks, their events and
 *               receipts), the EU names it published first, its deposits
 *   anonymous   what was submitted without a key, on a coordinator started
 *               with `--allow-anonymous`
 *   network     the admin's: built-in EUs, what the admin submitted, and the
 *               events that show money or misbehaviour not tied to a task
 *               (stake bonds and withdrawals, slashes without a task, results
 *               refused for unknown leases)
 *   (none)      the network's public face: operators joining, leaving,
 *               degrading and being suspended, regions going down and up, EU
 *               publications, coordinator restarts
 *
 * A reader sees what its owner owns plus the public face. The admin token
 * sees everything; an account key sees its own; a request without a key sees
 * anonymous objects when anonymous use is on, and only the public face when
 * it is off. Anonymous objects never show in an account's view, nor an
 * account's objects anonymously. Something one may not see looks exactly
 * like something that does not exist (404), so ids leak nothing.
 */
import { CortenError, type NewEvent } from '../../protocol/index.js';
import type { Caller } from './accounts.js';

/** Owner of the admin's objects; only the admin token reads them. */
export const NETWORK_OWNER = 'network';
/** Owner of what was submitted without a key (anonymous mode). */
export const ANONYMOUS_OWNER = 'anonymous';

/** What a request may read: everything, one owner's objects (plus the public face), or the public face only. */
export type Viewer = { kind: 'all' } | { kind: 'owner'; owner: string } | { kind: 'public' };

/** The owner of what `caller` creates; null when it may not create anything (anonymous use is off). */
export function ownerOf(caller: Caller, allowAnonymous: boolean): string | null {
  if (caller.kind === 'admin') return NETWORK_OWNER;
  if (caller.kind === 'account') return caller.accountId;
  return allowAnonymous ? ANONYMOUS_OWNER : null;
}

export function viewerOf(caller: Caller, allowAnonymous: boolean): Viewer {
  if (caller.kind === 'admin') return { kind: 'all' };
  const owner = ownerOf(caller, allowAnonymous);
  return owner === null ? { kind: 'public' } : { kind: 'owner', owner };
}

/** Whether `viewer` may read an object owned by `owner` (null: public). */
export function canRead(viewer: Viewer, owner: string | null): boolean {
  if (owner === null || viewer.kind === 'all') return true;
  return viewer.kind === 'owner' && viewer.owner === owner;
}

/**
 * The owner of an event: the owner of its task when it has one; the account
 * whose balance it moves (`dev:acct_…`); the admin for other ledger events and
 * refusal tallies; otherwise public.
 */
export function eventOwner(event: NewEvent, taskOwner: (taskId: string) => string): string | null {
  if (event.taskId) return taskOwner(event.taskId);
  const account = (event.data as { account?: unknown }).account;
  if (typeof account === 'string' && account.startsWith('dev:')) return account.slice('dev:'.length);
  // Webhooks are the operator's owner's business: the admin reads them in the log, the owner through the API.
  if (event.type.startsWith('ledger.') || event.type.startsWith('webhook.') || event.type === 'results.refused')
    return NETWORK_OWNER;
  return null;
}

/**
 * Tasks, jobs, workflows and receipts have no public face: a request that may
 * see only the public face is told to send a key rather than shown an empty world.
 */
export function requireOwner(viewer: Viewer): Exclude<Viewer, { kind: 'public' }> {
  if (viewer.kind === 'public') {
    throw new CortenError(
      'UNAUTHORIZED',
      'this is visible only to the account that owns it: send its API key (Authorization: Bearer ck_…)',
    );
  }
  return viewer;
}
