/**
 * An operator's owner's routes: standing, and webhooks with their delivery
 * log. Each needs the operator's key's signature (operator-auth.ts) or the
 * admin token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ListDeliveriesQuery, OperatorIdParam, RegisterWebhookRequest, WebhookParams } from '../../protocol/index.js';
import type { OperatorApi } from './operator-api.js';
import type { OperatorAuth } from './operator-auth.js';
import { parseOrThrow } from './validation.js';

export interface OperatorRoutesDeps {
  api: OperatorApi;
  auth: OperatorAuth;
}

export function operatorRoutes(app: FastifyInstance, deps: OperatorRoutesDeps): void {
  // Read at each request: a coordinator that changes leader/follower role makes a new OperatorApi.
  const { auth } = deps;
  const authorize = (request: FastifyRequest, operatorId: string) =>
    auth.require(
      { method: request.method, url: request.url, headers: request.headers, body: request.body },
      operatorId,
    );

  app.get('/v1/operators/:id/standing', async (request) => {
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    await authorize(request, id);
    return deps.api.standing(id);
  });

  app.post('/v1/operators/:id/webhooks', async (request, reply) => {
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    const createdBy = await authorize(request, id);
    const body = parseOrThrow(RegisterWebhookRequest, request.body, 'body');
    return reply.status(201).send(await deps.api.registerWebhook(id, body, createdBy));
  });

  app.get('/v1/operators/:id/webhooks', async (request) => {
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    await authorize(request, id);
    return { webhooks: deps.api.listWebhooks(id) };
  });

  app.delete('/v1/operators/:id/webhooks/:webhookId', async (request) => {
    const { id, webhookId } = parseOrThrow(WebhookParams, request.params, 'path');
    await authorize(request, id);
    return deps.api.removeWebhook(id, webhookId);
  });

  app.get('/v1/operators/:id/webhooks/:webhookId/deliveries', async (request) => {
    const { id, webhookId } = parseOrThrow(WebhookParams, request.params, 'path');
    await authorize(request, id);
    const { limit } = parseOrThrow(ListDeliveriesQuery, request.query, 'query');
    return { deliveries: await deps.api.deliveries(id, webhookId, limit) };
  });
}
