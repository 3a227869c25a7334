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
 * up unless the peer failed to authenticate, sends frames faster than
 * FRAME_RATE_PER_S, or keeps being refused (see refusal-tally.ts).
 *
 * Limits come before parsing (src/protocol/limits.ts): the socket refuses
 * frames over MAX_OPERATOR_FRAME_BYTES, and a frame nesting deeper than
 * MAX_FRAME_DEPTH is refused unparsed. A results frame is read as an
 * envelope, and each result is validated on its own: a malformed one is
 * refused alone, in the ack, and the rest of the frame counts.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  authStatement,
  identityId,
  MAX_FRAME_DEPTH,
  OperatorMessage,
  PROTOCOL_VERSION,
  ResultItem,
  ResultsEnvelope,
  textTooDeep,
  verify,
  type ChallengeMessage,
  type ErrorMessage,
} from '../../protocol/index.js';
import type { Engine } from '../engine/index.js';
import type { UnreadableResult } from '../verification/index.js';
import type { OperatorConnection } from '../memory/index.js';

/** How long a new connection has to say hello. */
const HELLO_TIMEOUT_MS = 10_000;
/**
 * Frames a connection may send per second, sustained. An agent sends a
 * heartbeat every 500 ms and at most one results frame per event-loop turn,
 * so even a very busy one stays far below; a peer above it is not an agent.
 */
const FRAME_RATE_PER_S = 2000;
/** Frames a connection may send in a burst above the rate (a reconnect re-sending its results, say). */
const FRAME_BURST = 4000;
/** Close code for a peer over the frame rate (4000-4999 are the application's). */
const CLOSE_RATE_LIMITED = 4029;

/** A token bucket: FRAME_BURST tokens, refilled at FRAME_RATE_PER_S. */
class FrameBudget {
  private tokens = FRAME_BURST;
  private at = performance.now();

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(FRAME_BURST, this.tokens + ((now - this.at) * FRAME_RATE_PER_S) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The first issue of a failed zod parse, as `path: message`, the path under `prefix` (or `message` when there is
 * none). */
function firstIssue(error: { issues: { path: PropertyKey[]; message: string }[] }, prefix?: string): string {
  const issue = error.issues[0];
  const path = [...(prefix === undefined ? [] : [prefix]), ...(issue?.path ?? []).map(String)];
  return `${path.length > 0 ? path.join('.') : 'message'}: ${issue?.message ?? 'invalid'}`;
}

/** The assignment id a malformed result seems to be for, so its refusal can name it. */
function claimedId(item: unknown): string {
  const id = item !== null && typeof item === 'object' ? (item as { assignmentId?: unknown }).assignmentId : undefined;
  return typeof id === 'string' ? id.slice(0, 128) : '';
}

let nextConnectionId = 1;

/** The engine's commands the gateway turns frames into; it sees nothing else of the engine. */
export type GatewayEngine = Pick<
  Engine,
  | 'coordinatorId'
  | 'connect'
  | 'disconnect'
  | 'results'
  | 'refusedFrame'
  | 'touch'
  | 'heartbeat'
  | 'leasesStarted'
  | 'release'
  | 'drain'
>;

export class OperatorGateway {
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly engine: GatewayEngine) {}

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

    const challenge: ChallengeMessage = {
      t: 'challenge',
      nonce,
      coordinatorId: this.engine.coordinatorId,
      protocol: PROTOCOL_VERSION,
    };
    socket.send(JSON.stringify(challenge));

    const budget = new FrameBudget();
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!budget.take()) {
        if (socket.readyState === socket.OPEN) {
          this.error(socket, 'RATE_LIMITED', `more than ${FRAME_RATE_PER_S} frames a second`);
          socket.close(CLOSE_RATE_LIMITED, 'frame rate exceeded');
        }
        return;
      }
      // A refused frame from an authenticated operator counts towards a flood.
      const refuse = (code: string, message: string): void => {
        this.error(socket, code, message);
        if (operatorId !== null) this.engine.refusedFrame(conn, operatorId, code, message);
      };
      if (isBinary) return refuse('PROTOCOL_ERROR', 'frames are JSON text');
      const text = data.toString('utf8');
      if (textTooDeep(text, MAX_FRAME_DEPTH))
        return refuse('JSON_TOO_DEEP', `the frame nests deeper than ${MAX_FRAME_DEPTH} levels`);
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return refuse('MALFORMED_JSON', 'the frame is not valid JSON');
      }
      if (operatorId !== null && (raw as { t?: unknown } | null)?.t === 'results') {
        const envelope = ResultsEnvelope.safeParse(raw);
        if (!envelope.success) return refuse('VALIDATION_FAILED', firstIssue(envelope.error));
        const items: ResultItem[] = [];
        const unreadable: UnreadableResult[] = [];
        envelope.data.results.forEach((item, index) => {
          const parsed = ResultItem.safeParse(item);
          if (parsed.success) items.push(parsed.data);
          else
            unreadable.push({
              assignmentId: claimedId(item),
              code: 'VALIDATION_FAILED',
              message: firstIssue(parsed.error, `results.${index}`),
            });
        });
        this.engine.touch(operatorId);
        return this.engine.results(conn, operatorId, items, unreadable);
      }
      const parsed = OperatorMessage.safeParse(raw);
      if (!parsed.success) return refuse('VALIDATION_FAILED', firstIssue(parsed.error));
      const message = parsed.data;
      if (operatorId === null) {
        if (message.t !== 'hello') return this.error(socket, 'PROTOCOL_ERROR', 'say hello first');
        if (helloReceived) return;
        helloReceived = true;
        clearTimeout(helloTimer);
        if (!verify(message.publicKey, 'auth', authStatement(nonce, this.engine.coordinatorId), message.signature)) {
          return this.reject(
            socket,
            'AUTH_FAILED',
            'the hello signature does not verify: sign the challenge nonce with your key',
          );
        }
        const id = identityId('op', message.publicKey);
        this.engine.connect(conn, message, id).then(
          () => {
            operatorId = id;
            if (socket.readyState !== socket.OPEN) this.engine.disconnect(conn, id, 'connection_closed');
          },
          (error: { code?: string; message?: string }) =>
            this.reject(socket, error.code ?? 'INTERNAL', error.message ?? 'connect failed'),
        );
        return;
      }
      this.engine.touch(operatorId);
      switch (message.t) {
        case 'hb':
          if (message.at !== undefined) this.engine.heartbeat(operatorId, message.at);
          if (message.started) this.engine.leasesStarted(operatorId, message.started);
          return;
        case 'results':
          return this.engine.results(conn, operatorId, message.results);
        case 'drain':
          return this.engine.drain(operatorId);
        case 'release':
          return this.engine.release(operatorId, message.assignmentIds, message.reason);
        case 'hello':
          return refuse('PROTOCOL_ERROR', 'already authenticated');
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
