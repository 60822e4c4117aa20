// Migrations are listed here and run from code, so the same list works from TypeScript
// sources, from a bundle and from tests, with no file-system scanning.
import type { Knex } from 'knex';
import * as foundation from './20261122000000_foundation.ts';
import * as intakeIdempotency from './20261122010000_intake_idempotency.ts';
import * as leadScrubbedAt from './20261122020000_lead_scrubbed_at.ts';
import * as importFailure from './20261122030000_import_failure.ts';
import * as sessions from './20261130010000_sessions.ts';
import * as importCheckpoint from './20261130020000_import_checkpoint.ts';
import * as mailAccountsAndSendAttempts from './20261130030000_mail_accounts_and_send_attempts.ts';
import * as refoldDuplicateKeys from './20261130040000_refold_duplicate_keys.ts';
import * as lspDay from './20261130050000_lsp_day.ts';
import * as distribution from './20261130060000_distribution.ts';
import * as leadSearchAndCallBacks from './20261130080000_lead_search_and_call_backs.ts';
import * as leadEventsByTime from './20261130090000_lead_events_by_time.ts';
import * as apiKeyUse from './20261130110000_api_key_use.ts';
import * as reportSubscriptions from './20261130120000_report_subscriptions.ts';
import * as leadEventsByAccount from './20261130130000_lead_events_by_account.ts';
import * as seatChanges from './20261130140000_seat_changes.ts';
import * as quickActionFromMilestone from './20261130150000_quick_action_from_milestone.ts';
import * as leadSources from './20261130160000_lead_sources.ts';
import * as actionEmails from './20261130170000_action_emails.ts';
import * as suppressionAccountCheck from './20261130180000_suppression_account_check.ts';
import * as listUploadWriteCosts from './20261130190000_list_upload_write_costs.ts';

const migrations: Record<string, Knex.Migration> = {
  '20261122000000_foundation': foundation,
  '20261122010000_intake_idempotency': intakeIdempotency,
  '20261122020000_lead_scrubbed_at': leadScrubbedAt,
  '20261122030000_import_failure': importFailure,
  '20261130010000_sessions': sessions,
  '20261130020000_import_checkpoint': importCheckpoint,
  '20261130030000_mail_accounts_and_send_attempts': mailAccountsAndSendAttempts,
  '20261130040000_refold_duplicate_keys': refoldDuplicateKeys,
  '20261130050000_lsp_day': lspDay,
  '20261130060000_distribution': distribution,
  '20261130080000_lead_search_and_call_backs': leadSearchAndCallBacks,
  '20261130090000_lead_events_by_time': leadEventsByTime,
  '20261130110000_api_key_use': apiKeyUse,
  '20261130120000_report_subscriptions': reportSubscriptions,
  '20261130130000_lead_events_by_account': leadEventsByAccount,
  '20261130140000_seat_changes': seatChanges,
  '20261130150000_quick_action_from_milestone': quickActionFromMilestone,
  '20261130160000_lead_sources': leadSources,
  '20261130170000_action_emails': actionEmails,
  '20261130180000_suppression_account_check': suppressionAccountCheck,
  '20261130190000_list_upload_write_costs': listUploadWriteCosts,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
