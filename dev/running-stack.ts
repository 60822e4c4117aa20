// What a running `npm start` tells the commands run beside it (`npm run dnc:import`,
// `reconcile`, `db:migrate`): where its database and Temporal server are, so a command uses
// them instead of starting (or stopping) its own. Written when the stack is up, removed when it
// stops; a file left by a killed stack is recognised by its dead pid.
import fs from 'node:fs';
import path from 'node:path';
import type { TemporalSettings } from '../temporal.config.ts';
import { DATA_DIR, alive, commandLine } from './local.ts';

export const STACK_STATE_FILE = path.join(DATA_DIR, 'stack.json');

export interface RunningStack {
  pid: number;
  /** The stack's own database URL (it holds the embedded server's password: the file is 0600). */
  databaseUrl: string;
  temporal: Pick<TemporalSettings, 'address' | 'namespace' | 'taskQueue'>;
}

export function writeRunningStack(state: Omit<RunningStack, 'pid'>, file = STACK_STATE_FILE): () => void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ pid: process.pid, ...state }, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return () => {
    // Only our own: a newer stack may have written it since.
    if (readRunningStackFile(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
}

function readRunningStackFile(file: string): RunningStack | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunningStack;
  } catch {
    return undefined;
  }
}

/** The running stack, if one is: its pid is alive and still runs the stack (not a reused pid). */
export function runningStack(file = STACK_STATE_FILE): RunningStack | undefined {
  const state = readRunningStackFile(file);
  if (!state?.pid || state.pid === process.pid || !alive(state.pid)) return undefined;
  return commandLine(state.pid).includes('stack.ts') ? state : undefined;
}
