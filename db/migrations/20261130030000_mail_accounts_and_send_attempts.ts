// The account each caught message was sent for (the Mailbox shows an account only its own
// mail), when the outbox last started talking to SMTP about a row, and federal DNC entries
// without the uploader's name or file (every account's leads quote the reason of a match).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('caught_mail', (t) => {
    t.uuid('account_id').references('accounts.id').onDelete('CASCADE');
    t.index(['account_id', 'received_at']);
  });
  await knex.schema.alterTable('email_outbox', (t) => {
    t.timestamp('attempted_at', { useTz: true });
  });
  await forgetFederalUploaders(knex);
}

/**
 * Earlier uploads through the web page stored "uploaded by USER (FILE)" on federal entries,
 * and scrubs copied it into other accounts' leads and their history. The text is gone for
 * good: down does not bring it back.
 */
export async function forgetFederalUploaders(knex: Knex): Promise<void> {
  // The scrub's wording: "federal DNC list: +12175550101 (REASON)", or "... list: name and address (REASON)".
  const reasoned = String.raw`^(federal [A-Z]+ list: (name and address|\S+)) \(.*\)$`;
  await knex('suppression_entries').whereNull('account_id').whereNotNull('reason').update({ reason: null });
  for (const flag of ['dnc', 'dne', 'dnm']) {
    await knex.raw(`UPDATE leads SET ${flag}_reason = regexp_replace(${flag}_reason, :re, '\\1') WHERE ${flag}_reason ~ :re`, { re: reasoned });
  }
  await knex.raw(
    `UPDATE lead_events SET note = regexp_replace(note, :re, '\\1'), data = jsonb_set(data, '{reason}', to_jsonb(regexp_replace(note, :re, '\\1')))
     WHERE type = 'flagged' AND note ~ :re`,
    { re: reasoned },
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_outbox', (t) => {
    t.dropColumn('attempted_at');
  });
  await knex.schema.alterTable('caught_mail', (t) => {
    t.dropIndex(['account_id', 'received_at']);
    t.dropColumn('account_id');
  });
}
