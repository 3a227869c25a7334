/**
 * The operators' WebSocket endpoint on the API's HTTP server, outside the HTTP framework's request cycle:
 * an upgrade to `path` becomes a `ws` socket handed to `accept`; any other upgrade is answered 404.
 *
 * Routing upgrades through fastify (as @fastify/websocket does) keeps each socket's fastify request and
 * reply, its IncomingMessage and a ServerResponse alive for as long as the socket is open: about 5 KB an
 * operator, a quarter of what a 5,000-operator coordinator holds per connection. Here a connection holds
 * only the socket and what the gateway keeps for it. A plain GET of `path` still reaches the API's route
 * (which answers UPGRADE_REQUIRED in the error envelope).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export interface OperatorSocketsOptions {
  path: string;
  /** Largest frame a peer may send (protocol/limits.ts); the socket is closed past it. */
  maxPayload: number;
}

/** Serves operators' upgrades on `server` until the returned function is called. */
export function serveOperatorSockets(
  server: Server,
  opts: OperatorSocketsOptions,
  accept: (socket: WebSocket) => void,
): () => void {
  // No client tracking (the gateway keeps its own set) and no compression (frames are small and many).
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: opts.maxPayload,
  });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node drops its own error listener before 'upgrade'; ws adds one in handleUpgrade.
    if (pathOf(request.url) !== opts.path) {
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, accept);
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    wss.close();
  };
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}
