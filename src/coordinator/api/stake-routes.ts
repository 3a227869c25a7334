/**
 * Operator stake and reputation: the admin stakes, unstakes (through the
 * unbonding period), pays out earnings and reinstates; anyone reads stake
 * and reputation.
 */
import type { FastifyInstance } from 'fastify';
import { AmountRequest, OperatorIdParam } from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { parseOrThrow } from './validation.js';

export function stakeRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  app.get('/v1/operators/:id/stake', async (request) => {
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    return coordinator.trust.stakeView(id);
  });

  app.post('/v1/operators/:id/stake', async (request, reply) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    const { amount } = parseOrThrow(AmountRequest, request.body, 'body');
    return reply.status(201).send(await coordinator.trust.stake(id, amount));
  });

  /** Starts unbonding: the stake is paid out after the unbonding period, less any slash meanwhile. */
  app.post('/v1/operators/:id/stake/withdrawals', async (request, reply) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    const { amount } = parseOrThrow(AmountRequest, request.body, 'body');
    return reply.status(202).send(await coordinator.trust.unstake(id, amount));
  });

  app.post('/v1/operators/:id/earnings/withdrawals', async (request, reply) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    const { amount } = parseOrThrow(AmountRequest, request.body, 'body');
    return reply.status(201).send(await coordinator.trust.payEarnings(id, amount));
  });

  app.post('/v1/operators/:id/reinstate', async (request) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    await coordinator.trust.reinstate(id);
    return coordinator.getOperator(id);
  });

  app.get('/v1/operators/:id/reputation', async (request) => {
    const { id } = parseOrThrow(OperatorIdParam, request.params, 'path');
    return coordinator.trust.reputation(id);
  });
}
