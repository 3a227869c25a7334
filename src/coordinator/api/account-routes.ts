/**
 * Developer accounts: the admin creates them and deposits credits; an
 * account's own key reads it.
 */
import type { FastifyInstance } from 'fastify';
import { AccountIdParam, AmountRequest, CortenError, CreateAccountRequest } from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { parseOrThrow } from './validation.js';

export function accountRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  app.post('/v1/accounts', async (request, reply) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    const body = parseOrThrow(CreateAccountRequest, request.body, 'body');
    return reply.status(201).send(await coordinator.trust.createAccount(body.name));
  });

  /** The caller's own account (by its API key). */
  app.get('/v1/account', async (request) => {
    const caller = await coordinator.accounts.identify(request.headers.authorization);
    if (caller.kind !== 'account')
      throw new CortenError('UNAUTHORIZED', 'send an account API key (Authorization: Bearer ck_…)');
    return coordinator.trust.getAccount(caller.accountId);
  });

  app.get('/v1/accounts/:id', async (request) => {
    const { id } = parseOrThrow(AccountIdParam, request.params, 'path');
    const caller = await coordinator.accounts.identify(request.headers.authorization);
    if (caller.kind !== 'admin' && !(caller.kind === 'account' && caller.accountId === id)) {
      throw new CortenError('FORBIDDEN', 'an account is visible to its own key and to the admin');
    }
    return coordinator.trust.getAccount(id);
  });

  app.post('/v1/accounts/:id/deposits', async (request, reply) => {
    await coordinator.accounts.requireAdmin(request.headers.authorization);
    const { id } = parseOrThrow(AccountIdParam, request.params, 'path');
    const { amount } = parseOrThrow(AmountRequest, request.body, 'body');
    return reply.status(201).send(await coordinator.trust.deposit(id, amount));
  });
}
