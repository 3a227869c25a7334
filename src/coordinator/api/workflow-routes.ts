/**
 * Workflows and jobs: publish, list and show workflow versions, upgrade jobs to
 * a version; submit jobs in batches, list them keyset-paged, show one with its
 * steps, cancel one. Also the bulk cancel of tasks.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  ListJobsQuery,
  PublishWorkflowRequest,
  SubmitJobsRequest,
  UpgradeWorkflowRequest,
} from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { parseOrThrow } from './validation.js';

const RefParam = z.strictObject({ ref: z.string().min(1).max(200) });
const IdParam = z.strictObject({ id: z.string().min(1).max(128) });

export function workflowRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  const viewer = (authorization: string | undefined) => coordinator.viewer(authorization);

  app.post('/v1/workflows', async (request, reply) => {
    const body = parseOrThrow(PublishWorkflowRequest, request.body, 'body');
    const published = await coordinator.workflows.publish(body, request.headers.authorization);
    return reply.status(published.created ? 201 : 200).send(published);
  });

  app.get('/v1/workflows', async (request) => ({
    workflows: coordinator.workflows.list(await viewer(request.headers.authorization)),
  }));

  app.get('/v1/workflows/:ref', async (request) => {
    const { ref } = parseOrThrow(RefParam, request.params, 'path');
    return coordinator.workflows.get(ref, await viewer(request.headers.authorization));
  });

  app.post('/v1/workflows/:ref/upgrade', async (request) => {
    const { ref } = parseOrThrow(RefParam, request.params, 'path');
    const body = parseOrThrow(UpgradeWorkflowRequest, request.body, 'body');
    return coordinator.workflows.upgrade(ref, body, await viewer(request.headers.authorization));
  });

  app.post('/v1/jobs', async (request, reply) => {
    const body = parseOrThrow(SubmitJobsRequest, request.body, 'body');
    return reply.status(202).send(await coordinator.workflows.submit(body, request.headers.authorization));
  });

  app.get('/v1/jobs', async (request) => {
    const query = parseOrThrow(ListJobsQuery, request.query, 'query');
    return coordinator.workflows.listJobs(query, await viewer(request.headers.authorization));
  });

  app.get('/v1/jobs/:id', async (request) => {
    const { id } = parseOrThrow(IdParam, request.params, 'path');
    return coordinator.workflows.getJob(id, await viewer(request.headers.authorization));
  });

  app.post('/v1/jobs/:id/cancel', async (request) => {
    const { id } = parseOrThrow(IdParam, request.params, 'path');
    return coordinator.workflows.cancelJob(id, await viewer(request.headers.authorization));
  });
}
