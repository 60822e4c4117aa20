// Every Quick Action in the history says which milestone its lead came from (data.fromMilestone:
// the milestone of the lead's Quick Action before it, New before the first), so the User
// Activity and Milestones reports can tell a move to a new milestone from the rows in their
// date range alone, instead of re-reading each lead's whole Quick Action history. This fills it
// in for the history recorded before the recorder wrote it, in one pass.
//
// And an index of the Quick Actions alone, by account and time, holding who entered each: the
// User Activity chart (Quick Actions per user per day) counts them from the index without
// reading the history rows, which the report's table next to it reads at the same time.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE lead_events e SET data = e.data || jsonb_build_object('fromMilestone', s.from_milestone)
      FROM (SELECT q.id, coalesce(lag(q.data->>'milestone') OVER (PARTITION BY q.lead_id ORDER BY q.created_at, q.id), 'new') AS from_milestone
              FROM lead_events q WHERE q.type = 'quick_action') s
     WHERE e.id = s.id AND e.data->>'fromMilestone' IS NULL`);
  await knex.raw(`CREATE INDEX IF NOT EXISTS lead_events_quick_actions_idx ON lead_events (account_id, created_at) INCLUDE (actor_user_id, lead_id) WHERE type = 'quick_action'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS lead_events_quick_actions_idx');
  await knex.raw(`UPDATE lead_events SET data = data - 'fromMilestone' WHERE type = 'quick_action'`);
}
