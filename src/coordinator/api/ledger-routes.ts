/**
 * The ledger and receipts. Ledger entries and balances are the admin's (they
 * show every account's money); a receipt is visible to whoever may read the task it proves.
 */
import type { FastifyInstance } from 'fastify';
import { ListLedgerQuery } from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { parseOrThrow } from './validation.js';

export function ledgerRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  app.get('/v1/ledger/entries', async (request) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    const query = parseOrThrow(ListLedgerQuery, request.query, 'query');
    return coordinator.trust.ledgerEntries(query.after, query.limit);
  });

  app.get('/v1/ledger/balances', async (request) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    return coordinator.trust.balances();
  });

  app.get<{ Params: { id: string } }>('/v1/tasks/:id/receipt', async (request) =>
    coordinator.trust.receipt(request.params.id, await coordinator.viewer(request.headers.authorization)),
  );
}
