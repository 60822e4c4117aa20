// The local SMTP catcher of `npm start`: accepts every message on a localhost port and keeps
// it in the caught_mail table, where the admin Mailbox page shows it. Nothing is delivered.
// Each message is filed under the account Leadflow sent it for (the X-Leadflow-Account header
// its senders set), never under whoever has the recipient's address: two agencies can have a
// lead with the same e-mail, and a password-reset link must reach only its own account.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Knex } from 'knex';
import { ACCOUNT_HEADER } from '../activities/mailer.ts';

export interface MailCatcher {
  host: string;
  port: number;
  /** The SMTP_URL that reaches it. */
  url: string;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** `Name <address>` without the quotes mailparser's .text puts around the name. */
function fromAddress(mail: ParsedMail): string | undefined {
  const first = mail.from?.value[0];
  if (!first?.address) return mail.from?.text || undefined;
  return first.name ? `${first.name} <${first.address}>` : first.address;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The account id the sender put in the account header, when it is one. */
function accountOf(mail: ParsedMail): string | null {
  const value = mail.headers.get(ACCOUNT_HEADER.toLowerCase());
  const id = typeof value === 'string' ? value.trim() : null;
  return id && UUID.test(id) ? id : null;
}

export async function startMailCatcher({ db, host = '127.0.0.1', port = 0 }: { db: Knex; host?: string; port?: number }): Promise<MailCatcher> {
  const server = new SMTPServer({
    banner: 'Leadflow mail catcher (nothing leaves this machine)',
    logger: false,
    size: MAX_MESSAGE_BYTES,
    // No certificate to offer, and a client told about STARTTLS would insist on it.
    disabledCommands: ['STARTTLS'],
    // An SMTP_URL with credentials, meant for a real relay, must work against the catcher too.
    authOptional: true,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (stream.sizeExceeded) {
            const err = Object.assign(new Error(`Message larger than ${MAX_MESSAGE_BYTES} bytes`), { responseCode: 552 });
            return callback(err);
          }
          // The envelope, not the To header: it is who the message was actually sent to (Bcc too).
          const to = session.envelope.rcptTo.map((r) => r.address);
          const mailFrom = session.envelope.mailFrom;
          const accountId = accountOf(mail);
          await db('caught_mail').insert({
            // An id no account has (deleted since) files the message under nobody, rather than
            // refusing it and having the sender retry for ever.
            account_id: accountId ? db.raw('(SELECT id FROM accounts WHERE id = ?)', [accountId]) : null,
            message_id: mail.messageId ?? null,
            from_address: fromAddress(mail) ?? (mailFrom ? mailFrom.address : ''),
            to_addresses: to,
            subject: mail.subject ?? '',
            text: mail.text ?? null,
            html: typeof mail.html === 'string' ? mail.html : null,
          });
          callback();
        })
        .catch((err: unknown) => {
          // 451: the sender keeps the message and may try again, rather than losing it.
          callback(Object.assign(new Error(`Mail catcher could not store the message: ${(err as Error).message}`), { responseCode: 451 }));
        });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Errors after start-up (a client dropping mid-message) are the client's problem, not ours.
  server.on('error', () => {});
  const actualPort = (server.server.address() as AddressInfo).port;
  return {
    host,
    port: actualPort,
    url: `smtp://${host}:${actualPort}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
