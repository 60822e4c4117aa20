// `npm run build`'s workflow half: bundles workflows/ into build/workflow-bundle.js, the code a
// production worker loads. Run in CI too, so a workflow that imports something the workflow
// sandbox cannot load fails the build rather than a worker at start-up.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOWS_PATH, WORKFLOW_BUNDLE_PATH } from './main.ts';

const started = Date.now();
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
fs.mkdirSync(path.dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
// Written aside and renamed, so a worker starting meanwhile never loads half a bundle.
const tmp = `${WORKFLOW_BUNDLE_PATH}.${process.pid}.tmp`;
fs.writeFileSync(tmp, code);
fs.renameSync(tmp, WORKFLOW_BUNDLE_PATH);
console.log(`Workflow bundle: ${path.relative(process.cwd(), WORKFLOW_BUNDLE_PATH)} (${(code.length / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)`);
