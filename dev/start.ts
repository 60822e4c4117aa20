// `npm start`: the whole of Leadflow on one machine, no setup (see dev/stack.ts for what runs).
//
// The stack runs in a child process in a process group of its own. A Ctrl-C in the terminal
// goes to every process in the terminal's group at once; PostgreSQL and the Temporal server
// would stop at the same moment as the worker instead of after it. Here only this launcher
// gets the Ctrl-C, and the stack stops its parts in order.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const stack = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./stack.ts', import.meta.url))], {
  detached: true,
  // The IPC channel closes when this launcher dies however it dies; the stack then stops itself.
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, LEADFLOW_STARTED_AT: process.env.LEADFLOW_STARTED_AT ?? String(Date.now()) },
});

let lastForward = 0;
const forward = (reason: string) => {
  // npm and tsx pass a terminal's Ctrl-C on as well: one key press can arrive more than once.
  if (Date.now() - lastForward < 1_000) return;
  lastForward = Date.now();
  // A message, not a signal: the stack's web app tooling exits on SIGTERM by itself.
  if (stack.connected) stack.send({ type: 'stop', reason });
  else stack.kill('SIGTERM');
};
process.on('SIGINT', () => forward('Ctrl-C'));
process.on('SIGTERM', () => forward('SIGTERM'));
process.on('SIGHUP', () => forward('SIGHUP'));

// npm does not pass a SIGTERM aimed at it on to its script: it just goes away. Being orphaned
// is then the only sign that whoever ran `npm start` wants it stopped.
const parent = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphanWatch);
  forward('npm start went away');
}, 1_000);

stack.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
