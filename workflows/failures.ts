// Types of the business failures activities raise with ApplicationFailure. Kept here, with no
// imports, so workflow code can branch on them without importing activity modules.
export const FailureType = {
  SystemCheckNotFound: 'SystemCheckNotFound',
  OutboxEmailNotFound: 'OutboxEmailNotFound',
  /** The SMTP server refused the message for good (5xx); retrying would get the same answer. */
  EmailRejected: 'EmailRejected',
  /** The recipient is on a do-not-email list or is a DNE lead: the mail must never go out. */
  EmailSuppressed: 'EmailSuppressed',
  LeadNotFound: 'LeadNotFound',
  /** eAgent answered 4xx: the same request would be refused again. */
  EagentRejected: 'EagentRejected',
  /** The eAgent URL is not https to a public address (or resolves to a private one). */
  EagentAddressRefused: 'EagentAddressRefused',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
