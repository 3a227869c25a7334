/**
 * The operations an operator's owner calls: its standing, and (through the
 * webhooks part) its alerts. Every one is for one operator and needs its
 * key's signature or the admin token (operator-auth.ts).
 */
import {
  CortenError,
  WEBHOOK_KINDS,
  type CreatedWebhook,
  type OperatorStandingView,
  type SlashView,
  type WebhookDeliveryView,
  type WebhookKind,
  type WebhookView,
} from '../../protocol/index.js';
import type { Store, WebhookAttemptRow } from '../../store/index.js';
import type { Engine } from '../engine/index.js';
import { reputationView } from '../trust/index.js';
import { checkWebhookUrl, webhookView } from '../webhooks/index.js';

export interface OperatorApiDeps {
  engine: Engine;
  store: Store;
}

/** Slashes and suspensions a standing lists in full; older ones are only counted. */
const RECENT = 20;
/** Events read a page while counting slashes. */
const PAGE = 1000;

export class OperatorApi {
  constructor(private readonly deps: OperatorApiDeps) {}

  /** Throws OPERATOR_NOT_FOUND unless the coordinator has seen the operator. */
  requireKnown(operatorId: string): void {
    if (!this.deps.engine.operators.has(operatorId))
      throw new CortenError(
        'OPERATOR_NOT_FOUND',
        `no operator ${operatorId}: it is known once it has connected (corten operator --key FILE)`,
      );
  }

  async standing(operatorId: string): Promise<OperatorStandingView> {
    this.requireKnown(operatorId);
    const engine = this.deps.engine;
    const op = engine.operators.get(operatorId)!;
    const trust = engine.trust;
    const stake = trust.stakes.view(operatorId);
    const slashes = { count: 0, total: 0, recent: [] as SlashView[] };
    const suspensions: OperatorStandingView['suspensions'] = [];
    // The operator's own events of these types, through the events_operator index: never a scan of the log.
    for (let after = 0; ;) {
      const page = await this.deps.store.listEvents({
        after,
        limit: PAGE,
        operatorId,
        types: ['ledger.slashed', 'operator.suspended', 'operator.reinstated'],
      });
      for (const e of page) {
        if (e.type === 'ledger.slashed') {
          const d = e.data as { amount: number; reason: string; taskId?: string };
          slashes.count += 1;
          slashes.total += d.amount;
          slashes.recent.push({
            ts: e.ts,
            amount: d.amount,
            reason: d.reason,
            ...(d.taskId ? { taskId: d.taskId } : {}),
          });
          if (slashes.recent.length > RECENT) slashes.recent.shift();
        } else {
          const reason = e.type === 'operator.suspended' ? (e.data as { reason: string }).reason : null;
          suspensions.push({ ts: e.ts, kind: e.type === 'operator.suspended' ? 'suspended' : 'reinstated', reason });
          if (suspensions.length > RECENT) suspensions.shift();
        }
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.seq;
    }
    return {
      operatorId,
      status: op.status,
      statusReason: op.statusReason,
      connected: op.conn !== null,
      lastSeenAt: op.lastSeenAt,
      stake: stake.stake,
      unbonding: stake.unbonding,
      earnings: stake.earnings,
      minStake: stake.minStake,
      eligible: trust.eligible(operatorId),
      pendingWithdrawals: trust.stakes
        .pendingWithdrawals(operatorId)
        .map((w) => ({ amount: w.amount, availableAt: w.availableAt })),
      slashes: { ...slashes, recent: slashes.recent.reverse() },
      suspensions: suspensions.reverse(),
      reputation: reputationView(trust, operatorId, engine.now()),
    };
  }

  /** Registers a webhook for the operator's alerts; the answer holds its secret, shown this once. */
  async registerWebhook(
    operatorId: string,
    request: { url: string; kinds?: WebhookKind[] | undefined; description: string },
    createdBy: 'operator' | 'admin',
  ): Promise<CreatedWebhook> {
    this.requireKnown(operatorId);
    const url = checkWebhookUrl(request.url, this.deps.engine.config.webhookAllowedHosts);
    const kinds = request.kinds ? WEBHOOK_KINDS.filter((k) => request.kinds!.includes(k)) : [...WEBHOOK_KINDS];
    const spec = { operatorId, url, kinds, description: request.description, createdBy };
    return this.deps.engine.command((turn) => this.deps.engine.webhooks.register(turn, spec));
  }

  listWebhooks(operatorId: string): WebhookView[] {
    this.requireKnown(operatorId);
    return this.deps.engine.webhooks.ofOperator(operatorId).map(webhookView);
  }

  removeWebhook(operatorId: string, webhookId: string): Promise<WebhookView> {
    return this.deps.engine.command((turn) => this.deps.engine.webhooks.remove(turn, operatorId, webhookId));
  }

  /** A webhook's latest deliveries, newest first, each with every attempt (removed webhooks' too). */
  async deliveries(operatorId: string, webhookId: string, limit: number): Promise<WebhookDeliveryView[]> {
    const webhook = await this.deps.store.webhooks.getWebhook(webhookId);
    if (!webhook || webhook.operatorId !== operatorId)
      throw new CortenError('WEBHOOK_NOT_FOUND', `operator ${operatorId} has no webhook ${webhookId}`);
    const rows = await this.deps.store.webhooks.listDeliveries(webhookId, limit);
    const attempts = new Map<string, WebhookAttemptRow[]>();
    for (const a of await this.deps.store.webhooks.listAttempts(rows.map((r) => r.id))) {
      let list = attempts.get(a.deliveryId);
      if (!list) attempts.set(a.deliveryId, (list = []));
      list.push(a);
    }
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhookId,
      kind: r.kind as WebhookKind,
      eventType: r.eventType,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.nextAttemptAt,
      createdAt: r.createdAt,
      log: (attempts.get(r.id) ?? []).map(({ deliveryId: _id, ...a }) => a),
    }));
  }
}
