/**
 * The agent heartbeats at the interval the coordinator tells it, at its
 * welcome and again in a `pace` frame when the network grows, and tells its
 * link the interval so the link's liveness pings slow down with it. In
 * process over a fake connection, with fake timers.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent, type Connection, type Transport } from '../../src/operator/index.js';
import { generateKeyPair } from '../../src/protocol/index.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('agent heartbeat pace', () => {
  it('heartbeats at the welcome interval, then at the paced one, and paces its link', async () => {
    const sent: string[] = [];
    const paced: number[] = [];
    let deliver: (frame: unknown) => void = () => {};
    const transport: Transport = {
      connect(_url, events): Connection {
        deliver = (frame) => events.message(Buffer.from(JSON.stringify(frame)));
        return {
          open: true,
          send: (text) => sent.push(text),
          close: async () => {},
          terminate: () => {},
          pace: (ms) => paced.push(ms),
        };
      },
    };
    const agent = new Agent({
      coordinatorUrl: 'http://127.0.0.1:1',
      keys: generateKeyPair(),
      region: 'r1',
      resources: { cpu: 1, memoryMb: 512, gpuMemoryMb: 0, capabilities: [], eus: [] },
      maxConcurrent: 1,
      executor: {
        capabilities: [],
        close: async () => {},
        execute: async () => ({ ok: true, output: 1, metrics: { durationMs: 1 } }),
      },
      transport,
      log: pino({ level: 'silent' }),
    });
    const heartbeats = () => sent.filter((text) => text.startsWith('{"t":"hb"')).length;
    const started = agent.start();
    deliver({ t: 'welcome', operatorId: 'op_x', heartbeatIntervalMs: 500, resumed: [] });
    await started;
    vi.advanceTimersByTime(2000);
    expect(heartbeats()).toBe(4);
    deliver({ t: 'pace', heartbeatIntervalMs: 2500 });
    vi.advanceTimersByTime(5000);
    expect(heartbeats()).toBe(6);
    expect(paced).toEqual([500, 2500]);
    // A bad figure is held to a sane interval: no flood at 0, no silence at a day, a default for NaN.
    for (const bad of [0, 86_400_000, Number.NaN]) deliver({ t: 'pace', heartbeatIntervalMs: bad });
    expect(paced).toEqual([500, 2500, 100, 30_000, 500]);
    await agent.stop();
  });
});
