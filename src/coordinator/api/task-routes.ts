import type { FastifyInstance } from 'fastify';
import { BulkTasksRequest, ListTasksQuery, SubmitTasksRequest } from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { parseOrThrow } from './validation.js';

export function taskRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  app.post('/v1/tasks', async (request, reply) => {
    const body = parseOrThrow(SubmitTasksRequest, request.body, 'body');
    const accepted = await coordinator.submitTasks(body, request.headers.authorization);
    return reply.status(202).send(accepted);
  });

  app.get('/v1/tasks', async (request) => {
    const query = parseOrThrow(ListTasksQuery, request.query, 'query');
    return coordinator.listTasks(query, await coordinator.viewer(request.headers.authorization));
  });

  /** Tasks by status and failures by reason: the caller's (the admin: everyone's). */
  app.get('/v1/tasks/counts', async (request) =>
    coordinator.countTasks(await coordinator.viewer(request.headers.authorization)),
  );

  /** Retries failed tasks the caller may act on; each one refused is refused alone, with why. */
  app.post('/v1/tasks/retry', async (request) => {
    const viewer = await coordinator.viewer(request.headers.authorization);
    const body = parseOrThrow(BulkTasksRequest, request.body, 'body');
    return coordinator.retryTasks(body.ids, viewer);
  });

  /** Cancels open tasks the caller may act on; finished ones are refused alone. */
  app.post('/v1/tasks/cancel', async (request) => {
    const viewer = await coordinator.viewer(request.headers.authorization);
    const body = parseOrThrow(BulkTasksRequest, request.body, 'body');
    return coordinator.cancelTasks(body.ids, viewer);
  });

  app.get<{ Params: { id: string } }>('/v1/tasks/:id', async (request) =>
    coordinator.getTask(request.params.id, await coordinator.viewer(request.headers.authorization)),
  );

  app.get('/v1/stats', async () => coordinator.stats());

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await coordinator.metricsText();
    return reply.type(contentType).send(body);
  });
}
