/**
 * Developer accounts and who may do what.
 *
 *   admin     a request whose bearer token is the coordinator's admin token
 *             (`--admin-token`): creates accounts, deposits credits, stakes
 *             and unstakes for operators, reinstates them. The admin stands
 *             for the network's payment desk: value enters and leaves only
 *             through it.
 *   account   a request whose bearer token is an account's API key (`ck_…`):
 *             publishes EUs, submits tasks paid from the account's balance,
 *             reads its account and what it owns.
 *   anonymous no token: reads the network's public face; submits to free EUs
 *             (price 0) only on a coordinator started with `--allow-anonymous`.
 *
 * What each may read is ownership.ts's rule.
 *
 * Keys are random 192-bit strings shown once at creation; the store keeps
 * their sha256, and this cache maps hashes to account ids so an
 * authenticated submission costs a hash and a map lookup.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CortenError, sha256Hex } from '../../protocol/index.js';
import type { AccountRow, Store } from '../../store/index.js';

export type Caller = { kind: 'admin' } | { kind: 'account'; accountId: string } | { kind: 'anonymous' };

export class Accounts {
  private readonly byKeyHash = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly adminToken: string | null,
  ) {}

  /** A new account's row and its API key (the caller commits the row). */
  static create(name: string, now: number): { row: AccountRow; apiKey: string } {
    const apiKey = `ck_${randomBytes(24).toString('hex')}`;
    return {
      row: { id: `acct_${randomBytes(8).toString('hex')}`, name, keyHash: sha256Hex(apiKey), createdAt: now },
      apiKey,
    };
  }

  /** Who sent a request, from its Authorization header. Throws UNAUTHORIZED for a token that is neither the admin's nor
   * a known key. */
  async identify(authorization: string | undefined): Promise<Caller> {
    if (authorization === undefined || authorization === '') return { kind: 'anonymous' };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new CortenError('UNAUTHORIZED', 'the Authorization header must be `Bearer <token>`');
    const token = match[1]!;
    if (this.adminToken !== null && safeEqual(token, this.adminToken)) return { kind: 'admin' };
    const hash = sha256Hex(token);
    let accountId = this.byKeyHash.get(hash);
    if (accountId === undefined) {
      const row = await this.store.trust.findAccountByKeyHash(hash);
      if (!row)
        throw new CortenError(
          'UNAUTHORIZED',
          'unknown API key: ask the network admin for an account (corten account create)',
        );
      accountId = row.id;
      this.byKeyHash.set(hash, accountId);
    }
    return { kind: 'account', accountId };
  }

  /** Throws unless the caller is the admin. */
  async requireAdmin(authorization: string | undefined): Promise<void> {
    if (this.adminToken === null) {
      throw new CortenError(
        'FORBIDDEN',
        'this coordinator has no admin API: start it with --admin-token (or CORTEN_ADMIN_TOKEN)',
      );
    }
    const caller = await this.identify(authorization);
    if (caller.kind !== 'admin')
      throw new CortenError(
        caller.kind === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN',
        'this needs the admin token (Authorization: Bearer <admin token>)',
      );
  }

  remember(row: AccountRow): void {
    this.byKeyHash.set(row.keyHash, row.id);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
