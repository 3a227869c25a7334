/**
 * Several coordinators on one fresh PostgreSQL schema, with operators that
 * know all their URLs; stopped, and the schema dropped, after each test.
 */
import { afterEach } from 'vitest';
import { CoordinatorCluster, type OperatorSpec } from '../../src/sim/index.js';
import { dropSchemas, freshSchema, storeUrl } from './postgres.js';
import { tempDir } from './temp.js';

const open: { cluster: CoordinatorCluster; schema: string; cleanup: (failed: boolean) => void }[] = [];

afterEach(async (context) => {
  const failed = context.task.result?.state === 'fail';
  while (open.length > 0) {
    const { cluster, schema, cleanup } = open.pop()!;
    await cluster.stop();
    if (failed) process.stderr.write(`cluster logs: ${cluster.network.dir}\n`);
    else await dropSchemas([schema]);
    cleanup(failed);
  }
});

export async function startCluster(
  label: string,
  size: number,
  operators: OperatorSpec[],
  options: { coordinatorArgs?: string[]; minStake?: number; operatorStake?: number } = {},
): Promise<CoordinatorCluster> {
  const dir = tempDir(label);
  const schema = freshSchema(label);
  const cluster = new CoordinatorCluster({
    dir: dir.path,
    store: storeUrl(schema),
    size,
    coordinatorArgs: ['--no-builtin-eus', ...(options.coordinatorArgs ?? [])],
    ...(options.minStake !== undefined ? { minStake: options.minStake } : {}),
    ...(options.operatorStake !== undefined ? { operatorStake: options.operatorStake } : {}),
  });
  open.push({ cluster, schema, cleanup: dir.cleanup });
  await cluster.start();
  await cluster.network.startOperators(operators.map((spec) => ({ capabilities: [], ...spec })));
  return cluster;
}
