import type { FastifyInstance } from 'fastify';
import { OperatorHistoryQuery, OperatorIdParam, RegionParam, RegionRequest } from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { parseOrThrow } from './validation.js';

export function networkRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  app.get('/v1/operators', async () => ({ operators: coordinator.listOperators() }));

  app.get<{ Params: { id: string } }>('/v1/operators/:id', async (request) =>
    coordinator.getOperator(request.params.id),
  );

  /** Samples of the operator's standing, at most one a minute for the last day (reputation-history.ts). */
  app.get('/v1/operators/:id/history', async (request) => {
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    const { since, limit } = parseOrThrow(OperatorHistoryQuery, request.query, 'query');
    return coordinator.operatorHistory(id, since, limit);
  });

  app.get('/v1/regions', async () => ({ regions: coordinator.listRegions() }));

  /** Admin: mark a region down (the scheduler avoids it) or up. */
  app.put('/v1/regions/:region', async (request) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    const { region } = parseOrThrow(RegionParam, request.params, 'path');
    const body = parseOrThrow(RegionRequest, request.body, 'body');
    await coordinator.setRegion(region, body.down, body.reason);
    return { regions: coordinator.listRegions() };
  });

  app.get('/v1/health', async () => ({ ok: true, coordinatorId: coordinator.id }));
}
