/**
 * A real network for a test: coordinator and operator processes on loopback,
 * with an event log following the coordinator.
 */
import { afterEach } from 'vitest';
import { type CortenClient } from '../../src/client/index.js';
import { LocalNetwork, type OperatorSpec } from '../../src/sim/index.js';
import { EventLog } from './event-log.js';
import { tempDir } from './temp.js';

export interface TestNetwork {
  network: LocalNetwork;
  /** Holds the admin token: publishes and submits as the network, reads everything. */
  client: CortenClient;
  log: EventLog;
  dir: string;
}

const open: { net: TestNetwork; cleanup: (failed: boolean) => void }[] = [];

afterEach(async (context) => {
  const failed = context.task.result?.state === 'fail';
  while (open.length > 0) {
    const { net, cleanup } = open.pop()!;
    net.log.close();
    await net.network.stop();
    if (failed) process.stderr.write(`network log: ${net.network.logPath}\n`);
    cleanup(failed);
  }
});

export async function startNetwork(
  label: string,
  operators: OperatorSpec[],
  options: {
    coordinatorArgs?: string[];
    operatorArgs?: string[];
    builtinEus?: boolean;
    minStake?: number;
    operatorStake?: number;
    /** Turn on the coordinator's anonymous mode (submissions without a key to free EUs). */
    allowAnonymous?: boolean;
  } = {},
): Promise<TestNetwork> {
  const dir = tempDir(label);
  const coordinatorArgs = [...(options.builtinEus ? [] : ['--no-builtin-eus']), ...(options.coordinatorArgs ?? [])];
  const network = new LocalNetwork({
    dir: dir.path,
    coordinatorArgs,
    operatorArgs: options.operatorArgs,
    // Economics: the coordinator's minimum stake, and what the network stakes for each operator it starts.
    ...(options.minStake !== undefined ? { minStake: options.minStake } : {}),
    ...(options.operatorStake !== undefined ? { operatorStake: options.operatorStake } : {}),
    ...(options.allowAnonymous ? { allowAnonymous: true } : {}),
  });
  const net: TestNetwork = {
    network,
    client: null as unknown as CortenClient,
    log: null as unknown as EventLog,
    dir: dir.path,
  };
  open.push({ net, cleanup: dir.cleanup });
  const url = await network.startCoordinator();
  // The test's own client and event log speak for the network's admin: they publish fixtures and see everything.
  net.client = network.admin();
  net.log = new EventLog(url, network.adminToken);
  await net.log.follow();
  await network.startOperators(operators.map((spec) => ({ capabilities: [], ...spec })));
  return net;
}

/** n operators spread round-robin over the regions. */
export function spread(regions: string[], count: number, spec: Partial<OperatorSpec> = {}): OperatorSpec[] {
  return Array.from({ length: count }, (_, i) => ({ region: regions[i % regions.length]!, ...spec }));
}
