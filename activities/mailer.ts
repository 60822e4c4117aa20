import nodemailer, { type SendMailOptions } from 'nodemailer';

/** What activities need from a mail transport; tests can pass a fake with the same shape. */
export interface Mailer {
  sendMail(mail: SendMailOptions): Promise<{ messageId?: string }>;
  close?(): void;
}

/**
 * An SMTP transport for `smtpUrl` (smtp://user:pass@host:port, smtps:// for implicit TLS).
 * Nodemailer's default timeouts (2 minutes to connect, 10 minutes of socket idle) outlast an
 * activity's startToCloseTimeout, so a hung server would surface as an activity timeout
 * instead of an SMTP error in email_outbox.last_error. Query parameters in the URL override.
 */
export function createMailer(smtpUrl: string): Mailer {
  return nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

/**
 * The header that ties a message to the account it is sent for. The development mail catcher
 * files each message under this account, and the Mailbox shows an account only its own mail;
 * the recipient address cannot do that, since two accounts can share a lead's address.
 */
export const ACCOUNT_HEADER = 'X-Leadflow-Account';

/** Headers for mail sent on an account's behalf (none for mail of no account). */
export function accountHeaders(accountId: string | null | undefined): Record<string, string> | undefined {
  return accountId ? { [ACCOUNT_HEADER]: accountId } : undefined;
}

/** The Message-ID of an outbox row: the same on every attempt, so a resend can be recognised. */
export function outboxMessageId(outboxId: string): string {
  return `<${outboxId}@leadflow>`;
}
