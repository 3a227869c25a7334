import type { FastifyInstance } from 'fastify';
import { RegionParam, RegionRequest } from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { parseOrThrow } from './validation.js';

export function networkRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  app.get('/v1/operators', async () => ({ operators: coordinator.listOperators() }));

  app.get<{ Params: { id: string } }>('/v1/operators/:id', async (request) =>
    coordinator.getOperator(request.params.id),
  );

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
