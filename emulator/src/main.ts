// Entry point of `temporal-offline`. Two spawn shapes, as the SDK uses them:
//   temporal-offline <port> [extra args]                      time-skipping test server
//   temporal-offline server start-dev --port N [--ip A] ...   dev server (real time)
import { parseArgs } from './cli.ts';
import { openJournal } from './journal.ts';
import { log } from './log.ts';
import { OfflineServer, type ServerOptions } from './server.ts';

async function main() {
  let opts: ServerOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`temporal-offline: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const server = new OfflineServer(opts);
  if (opts.dbFile) {
    if (opts.timeSkipping) log.warn('--db-filename is ignored in time-skipping mode');
    else server.journal = openJournal(opts.dbFile, server);
  }
  process.on('uncaughtException', (err) => log.error('uncaught exception (server keeps running)', err));
  process.on('unhandledRejection', (err) => log.error('unhandled rejection (server keeps running)', err));
  const port = await server.start();
  const mode = opts.timeSkipping ? 'time-skipping test server' : 'dev server';
  const line = `temporal-offline ${mode} listening on ${opts.host}:${port}${opts.dbFile && !opts.timeSkipping ? ` (data in ${opts.dbFile})` : ' (in memory)'}`;
  if (process.stdout.isTTY || log.enabled('info')) process.stdout.write(line + '\n');
  const stop = async () => {
    server.journal?.flush();
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`temporal-offline: failed to start: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
