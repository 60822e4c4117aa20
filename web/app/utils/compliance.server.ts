// After a list upload, the leads already in Leadflow that the new entries match are scrubbed at
// once (db/compliance/sweep.ts): by a sweep workflow when Temporal is there (it finishes even if
// this server stops), else right here in the request.
import type { Knex } from 'knex';
import { sweepNewEntries, type SweepResult } from '../../../db/compliance/sweep.ts';
import { startSuppressionSweep } from '../../../worker/clients/compliance.ts';
import type { WebServices } from '../context.ts';

/** The database's clock now: entries an upload adds after this are the upload's. */
export async function databaseNow(db: Knex): Promise<Date> {
  const { rows } = await db.raw<{ rows: Array<{ now: Date }> }>('SELECT clock_timestamp() AS now');
  return rows[0]!.now;
}

export type UploadSweep = { kind: 'started' } | { kind: 'done'; result: SweepResult };

/** `at`: the flag time the upload's own flagging used, so one upload reads as one moment in the history. */
export async function sweepAfterUpload(services: WebServices, accountId: string, since: Date, at = new Date()): Promise<UploadSweep> {
  if (services.temporal) {
    try {
      const client = await services.temporal.getClient();
      await startSuppressionSweep(client, { accountId, since: since.toISOString(), at: at.toISOString() }, { taskQueue: services.temporal.taskQueue });
      return { kind: 'started' };
    } catch (err) {
      console.error('[compliance] the sweep workflow could not be started; sweeping in the request', err);
    }
  }
  return { kind: 'done', result: await sweepNewEntries(services.db, { accountId, since, at }) };
}
