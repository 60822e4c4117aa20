// One queued e-mail (migrations: email_outbox): written in the transaction that decides to send
// it, sent by the sendOutboxEmail activity. The outbox reads it as a knex row, Row<EmailOutbox>.
import { BaseModel, integer, nullable, oneOf, tableSchema, text, timestamp, uuid } from './base.ts';

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export class EmailOutbox extends BaseModel {
  static override tableName = 'email_outbox';
  id!: string;
  /** Null for mail no account sent (none today); the Mailbox filters on it. */
  accountId!: string | null;
  idempotencyKey!: string;
  toAddress!: string;
  subject!: string;
  bodyText!: string;
  bodyHtml!: string | null;
  status!: OutboxStatus;
  attempts!: number;
  /** When an attempt last started talking to SMTP about this row. */
  attemptedAt!: Date | null;
  lastError!: string | null;
  createdAt!: Date;
  sentAt!: Date | null;

  static override jsonSchema = tableSchema(['idempotencyKey', 'toAddress', 'subject', 'bodyText'], {
    id: uuid,
    accountId: nullable(uuid),
    idempotencyKey: text,
    toAddress: text,
    subject: text,
    bodyText: text,
    bodyHtml: nullable(text),
    status: oneOf(OUTBOX_STATUSES),
    attempts: integer,
    attemptedAt: nullable(timestamp),
    lastError: nullable(text),
    createdAt: timestamp,
    sentAt: nullable(timestamp),
  });
}
