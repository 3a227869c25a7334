/**
 * Economics over time. The admin sees the whole ledger replayed entry by entry: escrow held,
 * rewards paid, stake slashed and the treasury. An account sees its own balance and escrow,
 * and its own ledger events (the ledger itself shows every account's money: admin only).
 */
import { api, type Session } from '../api.js';
import { COLORS, TimeChart } from '../chart.js';
import { dateTime } from '../format.js';
import { useLive } from '../hooks.js';
import type { LedgerEntry } from '../types.js';

/** Entries read per page, and at most, so a long ledger does not stall the page. */
const PAGE = 5000;
const MAX_ENTRIES = 50_000;

interface Point {
  t: number;
  escrow: number;
  rewards: number;
  slashes: number;
  treasury: number;
}

async function loadLedger(): Promise<{ points: Point[]; total: number }> {
  const entries: LedgerEntry[] = [];
  let after = 0;
  while (entries.length < MAX_ENTRIES) {
    const page = await api<{ entries: LedgerEntry[]; next: number }>(`/v1/ledger/entries?after=${after}&limit=${PAGE}`);
    entries.push(...page.entries);
    if (page.entries.length < PAGE) break;
    after = page.next;
  }
  const points: Point[] = [];
  const now = { escrow: 0, rewards: 0, slashes: 0, treasury: 0 };
  for (const entry of entries) {
    for (const p of entry.postings) {
      if (p.account.startsWith('escrow:')) now.escrow += p.amount;
      if (p.account === 'treasury') now.treasury += p.amount;
      if (p.reason === 'reward' && p.amount > 0) now.rewards += p.amount;
      if (p.reason.startsWith('slash') && p.amount < 0) now.slashes -= p.amount;
    }
    points.push({ t: entry.ts / 1000, ...now });
  }
  return { points, total: entries.length };
}

function AdminEconomics() {
  const ledger = useLive(loadLedger, (e) => e.type.startsWith('ledger.'));
  const points = ledger.data?.points ?? [];
  const last = points[points.length - 1];
  return (
    <>
      {ledger.error && <p class="error">{ledger.error.message}</p>}
      <div class="cards">
        {(['escrow', 'rewards', 'slashes', 'treasury'] as const).map((k) => (
          <div class="card" data-testid={`economics-${k}`}>
            <h3>{k}</h3>
            <p class="big">{last?.[k] ?? 0}</p>
          </div>
        ))}
      </div>
      <TimeChart
        title={`Credits over time (${ledger.data?.total ?? 0} ledger entries)`}
        testId="economics-chart"
        x={points.map((p) => p.t)}
        series={[
          { label: 'escrow held', color: COLORS[0]!, values: points.map((p) => p.escrow) },
          { label: 'rewards paid', color: COLORS[1]!, values: points.map((p) => p.rewards) },
          { label: 'slashed', color: COLORS[2]!, values: points.map((p) => p.slashes) },
          { label: 'treasury', color: COLORS[4]!, values: points.map((p) => p.treasury) },
        ]}
      />
    </>
  );
}

function AccountEconomics() {
  const account = useLive(
    () => api<{ id: string; name: string; balance: number; escrow: number; createdAt: number }>('/v1/account'),
    (e) => e.type.startsWith('ledger.'),
  );
  return (
    <div class="cards">
      <div class="card" data-testid="economics-balance">
        <h3>balance</h3>
        <p class="big">{account.data?.balance ?? '—'}</p>
      </div>
      <div class="card" data-testid="economics-escrow">
        <h3>escrow</h3>
        <p class="big">{account.data?.escrow ?? '—'}</p>
      </div>
      <div class="card">
        <h3>account</h3>
        <p>
          {account.data?.name} <span class="hint">since {dateTime(account.data?.createdAt)}</span>
        </p>
      </div>
    </div>
  );
}

export function EconomicsView(props: { session: Session }) {
  return (
    <section>
      <h2>Economics</h2>
      {props.session.kind === 'admin' ? <AdminEconomics /> : <AccountEconomics />}
    </section>
  );
}
