// The SDK worker of the benchmark, in its own process so its CPU time is its own.
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const [address, taskQueue] = process.argv.slice(2);
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: { touch: async (n: number) => n + 1 },
  maxCachedWorkflows: 2000,
});
process.on('SIGTERM', () => worker.shutdown());
process.send?.('ready');
await worker.run();
await connection.close();
process.exit(0);
