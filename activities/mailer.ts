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
