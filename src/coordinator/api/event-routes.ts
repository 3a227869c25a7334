/**
 * The event log over HTTP: paged (`GET /v1/events?after=SEQ`) and live as
 * Server-Sent Events (`GET /v1/events/stream`). The stream first replays from
 * the store everything after the client's position (`Last-Event-ID` or
 * `after`), then tails the live bus, so a client that reconnects misses
 * nothing. A client too slow to keep up is disconnected rather than buffered
 * without bound; it resumes from its last id.
 *
 * Each reader sees only the events it may read (ownership.ts): the store
 * filters pages, and the live tail checks the owner each event carries.
 */
import type { FastifyInstance } from 'fastify';
import { ListEventsQuery, type CortenEvent, type EventsPage } from '../../protocol/index.js';
import type { CoordinatorOperations } from './operations.js';
import { canRead } from '../economics/index.js';
import { parseOrThrow } from './validation.js';

/** Bytes a stream may have waiting in its socket before the client is dropped. */
const MAX_STREAM_BACKLOG = 16 * 1024 * 1024;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export function eventRoutes(app: FastifyInstance, coordinator: CoordinatorOperations): void {
  app.get('/v1/events', async (request): Promise<EventsPage> => {
    const query = parseOrThrow(ListEventsQuery, request.query, 'query');
    const viewer = await coordinator.viewer(request.headers.authorization);
    const events = await coordinator.listEvents(
      {
        after: query.after,
        limit: query.limit,
        taskId: query.taskId,
        operatorId: query.operatorId,
        types: query.types?.split(',').filter(Boolean),
      },
      viewer,
    );
    return { events, next: events.length > 0 ? events[events.length - 1]!.seq : query.after };
  });

  app.get('/v1/events/stream', async (request, reply) => {
    const query = parseOrThrow(ListEventsQuery, request.query, 'query');
    // Identified before the stream opens, so a bad key gets its error envelope.
    const viewer = await coordinator.viewer(request.headers.authorization);
    const lastEventId = request.headers['last-event-id'];
    const types = query.types?.split(',').filter(Boolean);
    const wanted = (e: CortenEvent) =>
      canRead(viewer, e.owner) &&
      (!types || types.includes(e.type)) &&
      (!query.taskId || e.taskId === query.taskId) &&
      (!query.operatorId || e.operatorId === query.operatorId);
    let cursor = typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? Number(lastEventId) : query.after;
    if (request.query && (request.query as Record<string, unknown>).after === undefined && lastEventId === undefined) {
      cursor = coordinator.bus.seq;
    }

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Names where the stream starts, so a client that got no event yet can still resume from there.
    raw.write(`: corten event stream after ${cursor}\n\n`);

    let replaying = true;
    let closed = false;
    const buffered: CortenEvent[] = [];
    const write = (events: readonly CortenEvent[]) => {
      let chunk = '';
      for (const e of events) {
        if (e.seq <= cursor) continue;
        cursor = e.seq;
        if (!wanted(e)) continue;
        chunk += `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
      }
      if (chunk.length === 0 || closed) return;
      raw.write(chunk);
      if (raw.writableLength > MAX_STREAM_BACKLOG) {
        closed = true;
        raw.end();
      }
    };
    const unsubscribe = coordinator.bus.subscribe((events) => {
      if (replaying) buffered.push(...events);
      else write(events);
    });
    const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    raw.on('close', () => {
      closed = true;
      unsubscribe();
      clearInterval(keepalive);
    });

    // Replay what the client has not seen, page by page, then switch to live.
    while (!closed) {
      const filter = { after: cursor, limit: 2000, taskId: query.taskId, operatorId: query.operatorId, types };
      const page = await coordinator.listEvents(filter, viewer);
      if (page.length === 0) break;
      write(page);
      if (page.length < 2000) {
        // Cursor may have been set to the last matching event; fill gaps from the bus buffer.
        break;
      }
    }
    replaying = false;
    write(buffered);
    buffered.length = 0;
  });
}
