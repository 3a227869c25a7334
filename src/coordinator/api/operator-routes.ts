/**
 * An operator's owner's routes: standing, and webhooks with their delivery
 * log. Each needs the operator's key's signature (operator-auth.ts) or the
 * admin token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OperatorIdParam } from '../../protocol/index.js';
import type { OperatorApi } from './operator-api.js';
import type { OperatorAuth } from './operator-auth.js';
import { parseOrThrow } from './validation.js';

export interface OperatorRoutesDeps {
  api: OperatorApi;
  auth: OperatorAuth;
}

export function operatorRoutes(app: FastifyInstance, deps: OperatorRoutesDeps): void {
  const { api, auth } = deps;
  const authorize = (request: FastifyRequest, operatorId: string) =>
    auth.require(
      { method: request.method, url: request.url, headers: request.headers, body: request.body },
      operatorId,
    );

  app.get('/v1/operators/:id/standing', async (request) => {
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    await authorize(request, id);
    return api.standing(id);
  });
}
