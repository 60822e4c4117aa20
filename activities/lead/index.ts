// The lead workflow's side effects: Postgres reads and writes, the e-mail outbox and the
// eAgent HTTP call, one module per activity (or close group) sharing the lead row, history
// and outbox helpers of shared.ts.
import { createActionEmailActivities } from './action-email.ts';
import { createCadenceStepActivities } from './cadence-step.ts';
import { createCallBackReminderActivities } from './call-back-reminder.ts';
import { createEagentActivities } from './eagent.ts';
import { createHoldingPeriodActivities, type HoldingPeriodDeps } from './holding-period.ts';
import { createLoadLeadActivities } from './load-lead.ts';
import { createQuickActionActivities } from './quick-action.ts';
import { createRecordLeadEventActivities } from './record-lead-event.ts';
import { createRecycleActivities } from './recycle.ts';
import { createRestoreArchiveActivities } from './restore-archive.ts';
import { createScrubLeadActivities } from './scrub-lead.ts';
import { DEFAULT_APP_URL, type LeadActivityDeps, type LeadDeps } from './shared.ts';

export function createLeadActivities({ db, clock, appUrl = DEFAULT_APP_URL, eagentAllowPrivate = false, temporal, taskQueue }: LeadActivityDeps & Pick<HoldingPeriodDeps, 'temporal' | 'taskQueue'>) {
  // APP_URL may be written with a trailing slash; links must not get two.
  const deps: LeadDeps = { db, clock, appUrl: appUrl.replace(/\/+$/, ''), eagentAllowPrivate };
  return {
    ...createLoadLeadActivities(deps),
    ...createScrubLeadActivities(deps),
    ...createRecordLeadEventActivities(deps),
    ...createQuickActionActivities(deps),
    ...createCadenceStepActivities(deps),
    ...createRecycleActivities(deps),
    ...createRestoreArchiveActivities(deps),
    ...createCallBackReminderActivities(deps),
    ...createActionEmailActivities(deps),
    ...createEagentActivities(deps),
    ...createHoldingPeriodActivities({ ...deps, temporal, taskQueue }),
  };
}

export type LeadActivities = ReturnType<typeof createLeadActivities>;
