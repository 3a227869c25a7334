/**
 * A hand-driven operator speaking the wire protocol directly, for tests that
 * must send what a well-behaved agent never would (bad signatures, results
 * for leases it does not hold).
 */
import WebSocket from 'ws';
import {
  authStatement,
  generateKeyPair,
  leafHash,
  outputHashOf,
  PROTOCOL_VERSION,
  resultStatement,
  sign,
  signBatch,
  type AssignMessage,
  type KeyPair,
  type WireAssignment,
} from '../../src/protocol/index.js';

type Frame = { t: string } & Record<string, unknown>;

export class RawOperator {
  readonly keys: KeyPair = generateKeyPair();
  readonly frames: Frame[] = [];
  operatorId = '';
  /** Resolves with the close code when the coordinator (or we) close the socket. */
  closed!: Promise<number>;
  private socket!: WebSocket;
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  /** `eus` names the only EUs it serves (none that exist keeps it from getting work). */
  static async connect(
    url: string,
    options: { region?: string; maxConcurrent?: number; eus?: string[] } = {},
  ): Promise<RawOperator> {
    const op = new RawOperator();
    await op.open(url, options.region ?? 'test', options.maxConcurrent ?? 4, options.eus ?? []);
    return op;
  }

  private async open(url: string, region: string, maxConcurrent: number, eus: string[]): Promise<void> {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/operators/connect`);
    this.closed = new Promise((resolve) => this.socket.on('close', (code) => resolve(code)));
    this.socket.on('message', (data: Buffer) => {
      // A coordinator frame is one message or an array of them.
      const parsed = JSON.parse(data.toString()) as Frame | Frame[];
      for (const frame of Array.isArray(parsed) ? parsed : [parsed]) {
        this.frames.push(frame);
        for (const w of [...this.waiters])
          if (w.match(frame)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(frame);
            break;
          }
      }
    });
    const challenge = await this.next((f) => f.t === 'challenge');
    this.send({
      t: 'hello',
      protocol: PROTOCOL_VERSION,
      publicKey: this.keys.publicKey.toString('hex'),
      signature: sign(this.keys, 'auth', authStatement(challenge.nonce as string, challenge.coordinatorId as string)),
      region,
      resources: { cpu: 4, memoryMb: 4096, gpuMemoryMb: 0, capabilities: [], eus },
      maxConcurrent,
      held: [],
    });
    const welcome = await this.next((f) => f.t === 'welcome');
    this.operatorId = welcome.operatorId as string;
    setInterval(() => this.send({ t: 'hb', running: 0 }), 300).unref();
  }

  send(message: object | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next frame (already received or to come) that matches. */
  next(match: (f: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) =>
      this.waiters.push({
        match,
        resolve: (f) => {
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      }),
    );
  }

  async nextAssignment(): Promise<WireAssignment> {
    const frame = (await this.next((f) => f.t === 'assign')) as unknown as AssignMessage;
    return frame.assignments[0]!;
  }

  /** A correctly signed result for an assignment, with the given output (a batch of one). */
  result(a: WireAssignment, output: unknown, keys: KeyPair = this.keys): object {
    return this.signed(a, { output }, { durationMs: 1 }, keys);
  }

  /** A correctly signed failure, as the sandbox reports one (`EU_TIMEOUT`, `EU_OUT_OF_MEMORY` …). */
  errorResult(a: WireAssignment, code: string, durationMs = 100): object {
    return this.signed(a, { error: { code, message: code.toLowerCase() } }, { durationMs });
  }

  private signed(
    a: WireAssignment,
    body: { output: unknown } | { error: { code: string; message: string } },
    metrics: { durationMs: number },
    keys: KeyPair = this.keys,
  ): object {
    const outputHash = outputHashOf(body);
    const leaf = leafHash(resultStatement(a, outputHash));
    return {
      assignmentId: a.assignmentId,
      attempt: a.attempt,
      ...body,
      outputHash,
      signature: signBatch(keys, leaf),
      proof: [],
      metrics,
    };
  }

  close(): void {
    this.socket.close();
  }
}
