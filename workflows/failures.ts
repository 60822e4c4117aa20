// Types of the business failures activities raise with ApplicationFailure. Kept here, with no
// imports, so workflow code can branch on them without importing activity modules.
export const FailureType = {
  SystemCheckNotFound: 'SystemCheckNotFound',
  OutboxEmailNotFound: 'OutboxEmailNotFound',
  /** The SMTP server refused the message for good (5xx); retrying would get the same answer. */
  EmailRejected: 'EmailRejected',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
