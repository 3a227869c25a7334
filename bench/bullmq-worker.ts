/**
 * A BullMQ worker process for the comparison benchmark: runs the same trivial
 * function as the corten benchmark EU, natively, with no sandbox and no
 * verification.
 */
import { Worker } from 'bullmq';

const [queueName = 'corten-bench', concurrency = '50'] = process.argv.slice(2);
const worker = new Worker(queueName, async (job) => ({ y: (job.data as { x: number }).x * 2 }), {
  connection: { host: '127.0.0.1', port: 6379 },
  concurrency: Number(concurrency),
  removeOnComplete: { count: 0 },
});
worker.on('ready', () => process.stdout.write('bullmq worker ready\n'));
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
