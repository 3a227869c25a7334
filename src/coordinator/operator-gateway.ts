/**
 * The WebSocket door for operators.
 *
 *   open ──▶ challenge sent ──hello, signature ok──▶ ready ──close──▶ gone
 *                 │
 *                 └─ bad hello / bad signature / no hello in time ──▶ closed
 *
 * The gateway parses and validates every frame, checks the hello signature,
 * and hands well-formed messages to the engine. Malformed frames get an
 * `error` frame with a stable code and change nothing; the connection stays
 * up unless the peer failed to authenticate.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  authStatement, identityId, OperatorMessage, PROTOCOL_VERSION, verify, type ChallengeMessage, type ErrorMessage,
} from '../protocol/index.js';
import type { Engine } from './engine.js';
import type { OperatorConnection } from './state.js';

/** How long a new connection has to say hello. */
const HELLO_TIMEOUT_MS = 10_000;
/** Largest frame an operator may send (a batch of results). */
export const MAX_OPERATOR_FRAME_BYTES = 64 * 1024 * 1024;

let nextConnectionId = 1;

export class OperatorGateway {
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly engine: Engine) {}

  get connections(): number {
    return this.sockets.size;
  }

  accept(socket: WebSocket): void {
    this.sockets.add(socket);
    const nonce = randomBytes(32).toString('hex');
    const conn: OperatorConnection = {
      connectionId: nextConnectionId++,
      send: (frame) => {
        if (socket.readyState === socket.OPEN) socket.send(frame);
      },
      close: (code, reason) => socket.close(code, reason),
    };
    let operatorId: string | null = null;
    let helloReceived = false;
    const helloTimer = setTimeout(() => {
      if (!helloReceived) this.reject(socket, 'AUTH_FAILED', `no hello within ${HELLO_TIMEOUT_MS} ms`);
    }, HELLO_TIMEOUT_MS);
    helloTimer.unref();

    const challenge: ChallengeMessage = { t: 'challenge', nonce, coordinatorId: this.engine.coordinatorId, protocol: PROTOCOL_VERSION };
    socket.send(JSON.stringify(challenge));

    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return this.error(socket, 'PROTOCOL_ERROR', 'frames are JSON text');
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString('utf8'));
      } catch {
        return this.error(socket, 'MALFORMED_JSON', 'the frame is not valid JSON');
      }
      const parsed = OperatorMessage.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? issue.path.join('.') : 'message';
        return this.error(socket, 'VALIDATION_FAILED', `${where}: ${issue?.message ?? 'invalid'}`);
      }
      const message = parsed.data;
      if (operatorId === null) {
        if (message.t !== 'hello') return this.error(socket, 'PROTOCOL_ERROR', 'say hello first');
        if (helloReceived) return;
        helloReceived = true;
        clearTimeout(helloTimer);
        if (!verify(message.publicKey, 'auth', authStatement(nonce, this.engine.coordinatorId), message.signature)) {
          return this.reject(socket, 'AUTH_FAILED', 'the hello signature does not verify: sign the challenge nonce with your key');
        }
        const id = identityId('op', message.publicKey);
        this.engine.connect(conn, message, id).then(
          () => {
            operatorId = id;
            if (socket.readyState !== socket.OPEN) this.engine.disconnect(conn, id, 'connection_closed');
          },
          (error: { code?: string; message?: string }) => this.reject(socket, error.code ?? 'INTERNAL', error.message ?? 'connect failed'),
        );
        return;
      }
      this.engine.touch(operatorId);
      switch (message.t) {
        case 'hb':
          if (message.at !== undefined) this.engine.heartbeat(operatorId, message.at);
          return;
        case 'results':
          return this.engine.results(conn, operatorId, message.results);
        case 'drain':
          return this.engine.drain(operatorId);
        case 'release':
          return this.engine.release(operatorId, message.assignmentIds, message.reason);
        case 'hello':
          return this.error(socket, 'PROTOCOL_ERROR', 'already authenticated');
      }
    });

    socket.on('close', () => {
      clearTimeout(helloTimer);
      this.sockets.delete(socket);
      if (operatorId !== null) this.engine.disconnect(conn, operatorId, 'connection_closed');
    });
    socket.on('error', () => socket.terminate());
  }

  /** Closes every operator connection (coordinator shutdown). */
  closeAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  private error(socket: WebSocket, code: string, message: string): void {
    const frame: ErrorMessage = { t: 'error', code, message };
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  }

  private reject(socket: WebSocket, code: string, message: string): void {
    this.error(socket, code, message);
    socket.close(4003, message.slice(0, 120));
  }
}
