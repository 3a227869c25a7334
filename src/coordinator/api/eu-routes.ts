import type { FastifyInstance } from 'fastify';
import { PublishEuRequest } from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { parseOrThrow } from './validation.js';

export function euRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  app.post('/v1/eus', async (request, reply) => {
    const body = parseOrThrow(PublishEuRequest, request.body, 'body');
    const published = await coordinator.publishEu(body, request.headers.authorization);
    return reply.status(published.created ? 201 : 200).send(published);
  });

  app.get('/v1/eus', async () => ({ eus: coordinator.listEus() }));

  app.get<{ Params: { ref: string } }>('/v1/eus/:ref', async (request) => coordinator.getEu(request.params.ref));
}
