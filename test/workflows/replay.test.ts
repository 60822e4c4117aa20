// Every recorded lead history under test/histories must replay against the current workflow
// code: a change that would make running leads non-deterministic fails here, not in production.
// Record a new history from a test run (see lead-workflow.test.ts, RECORD_HISTORIES=1) whenever
// a change is guarded by patched(), so both code paths stay covered.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { workflowBundle } from '../support/temporal.ts';

try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // Already installed in this process.
}

const dir = fileURLToPath(new URL('../histories/', import.meta.url));
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];

describe('recorded histories', () => {
  it('has at least one history to replay', () => {
    expect(files).toContain('lead-basic.json');
  });

  it.each(files)('replays %s against the current workflow code', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(WORKFLOWS_PATH) }, history, `replay-${file}`);
  });
});
