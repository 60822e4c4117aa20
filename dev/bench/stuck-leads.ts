// Benchmark of the Support page's stuck-lead finder: BENCH_LEADS open lead workflows (default
// 100,000) on the offline Temporal server, 50 of them stuck (20 wake-ups overdue, 20 workflows
// terminated, 10 assigned leads without progress), and the time the finder takes for its counts
// and first page (target < 2 s).
//
// The workflows carry the search attributes a running lead workflow publishes (account, status,
// milestone, next wake-up) from their start, and no worker runs them: what is timed is the
// finder's visibility queries, its describes of the candidates and its Postgres queries.
import { Client } from '@temporalio/client';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { forEachLimit, LEAD_WORKFLOW_TYPE } from '../../worker/clients/lead.ts';
import { findStuckLeads } from '../../worker/clients/stuck-leads.ts';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { LeadflowAccountId, LeadMilestone, LeadNextWakeAt, LeadStatus } from '../../workflows/search-attributes.ts';
import { createBenchAccount, startBenchDatabase, startOfflineTemporal, BENCH_TASK_QUEUE } from './support.ts';

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const OVERDUE = 20;
const TERMINATED = 20;
const QUIET = 10;

const fmt = (n: number) => n.toFixed(2);

async function main() {
  console.log(`Leadflow stuck-lead finder benchmark: ${LEADS} open lead workflows, ${OVERDUE + TERMINATED + QUIET} stuck`);
  const db = await startBenchDatabase({ prefix: 'bench-stuck', poolMax: 10 });
  const temporal = await startOfflineTemporal();
  try {
    await registerSearchAttributes(temporal.connection, 'default');
    const client = new Client({ connection: temporal.connection, namespace: 'default' });
    const accountId = await createBenchAccount(db.knex, 'Stuck Bench Agency', 'B0STUCK');
    const [lsp] = await db.knex('users').insert({ account_id: accountId, username: 'bench.lsp', email: 'lsp@bench.test', name: 'Bench LSP', role: 'lsp', password_hash: 'x' }).returning('id');

    let t = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < LEADS; i += 2000) {
      const rows = Array.from({ length: Math.min(2000, LEADS - i) }, (_, j) => {
        const n = i + j;
        return { account_id: accountId, first_name: 'Pat', last_name: `Bench${n}`, address_line1: `${n} Main St`, city: 'Austin', state: 'TX', zip: '73301', dup_key: `bench|${n}`, source: 'web_vendor', segment: 'cold', status: 'active', milestone: 'contacted', phones: '[]', emails: '[]', assigned_user_id: n < QUIET ? lsp.id : null };
      });
      const got: Array<{ id: string }> = await db.knex('leads').insert(rows).returning('id');
      ids.push(...got.map((r) => r.id));
    }
    const old = new Date(Date.now() - 30 * 86_400_000);
    await db.knex('lead_events').insert(ids.slice(0, QUIET).map((id) => ({ lead_id: id, account_id: accountId, type: 'quick_action', created_at: old })));
    console.log(`  ${LEADS} leads written in ${fmt((Date.now() - t) / 1000)} s`);

    t = Date.now();
    const future = new Date(Date.now() + 86_400_000);
    const past = new Date(Date.now() - 10 * 60_000);
    await forEachLimit(ids.map((id, n) => ({ id, n })), 64, async ({ id, n }) => {
      const overdue = n >= QUIET && n < QUIET + OVERDUE;
      await client.workflow.start(LEAD_WORKFLOW_TYPE, {
        workflowId: leadWorkflowId(id),
        taskQueue: `${BENCH_TASK_QUEUE}-unpolled`,
        args: [{ leadId: id, accountId }],
        typedSearchAttributes: [
          { key: LeadflowAccountId, value: accountId },
          { key: LeadStatus, value: 'active' },
          { key: LeadMilestone, value: 'contacted' },
          { key: LeadNextWakeAt, value: overdue ? past : future },
        ],
      });
    });
    for (const id of ids.slice(QUIET + OVERDUE, QUIET + OVERDUE + TERMINATED)) await client.workflow.getHandle(leadWorkflowId(id)).terminate('benchmark');
    console.log(`  ${LEADS} workflows started in ${fmt((Date.now() - t) / 1000)} s`);

    for (let run = 1; run <= 3; run++) {
      t = Date.now();
      const r = await findStuckLeads({ db: db.knex, client, accountId, limit: 50 });
      const secs = (Date.now() - t) / 1000;
      console.log(`  run ${run}: counts and first page in ${fmt(secs)} s (target < 2 s: ${secs < 2 ? 'MET' : 'NOT MET'}): ${JSON.stringify(r.counts)}`);
    }
  } finally {
    await temporal.stop();
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
