import type { ActivityOptions } from '@temporalio/common';
// Types of the business failures activities raise with ApplicationFailure. Kept here, with no
// runtime imports, so workflow code can branch on them without importing activity modules. The strings
// are recorded in workflow histories: a value never changes once released.
export const FailureType = {
  /** No system check with that id for that workflow: the row is gone, a retry finds nothing either. */
  SystemCheckNotFound: 'SystemCheckNotFound',
  /** The outbox row to send does not exist (or the id is not one). */
  OutboxEmailNotFound: 'OutboxEmailNotFound',
  /** The SMTP server refused the message for good (5xx); retrying would get the same answer. */
  EmailRejected: 'EmailRejected',
  /** The recipient is on a do-not-email list or is a DNE lead: the mail must never go out. */
  EmailSuppressed: 'EmailSuppressed',
  /** The workflow's lead is not in Postgres (deleted with its account, or a bad id). */
  LeadNotFound: 'LeadNotFound',
  /** The workflow asked for a cadence step that its cadence does not have. */
  CadenceStepNotFound: 'CadenceStepNotFound',
  /** eAgent answered 4xx: the same request would be refused again. */
  EagentRejected: 'EagentRejected',
  /** The eAgent URL is not https to a public address (or resolves to a private one). */
  EagentAddressRefused: 'EagentAddressRefused',
  /** eAgent answered 5xx, 408 or 429: retryable, so the attempt is retried with backoff. */
  EagentUnavailable: 'EagentUnavailable',
  /** The import or its uploaded file is gone (deleted with its account, say). */
  ImportNotFound: 'ImportNotFound',
  /** The import's stored column mapping is incomplete: no retry can read the file. */
  ImportBadInput: 'ImportBadInput',
  /** Another execution of the import committed past this attempt's checkpoint: retryable, the retry resumes there. */
  ImportCheckpointMoved: 'ImportCheckpointMoved',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** The import failures no retry can mend: the import workflow's activities list them as non-retryable. */
export const IMPORT_NON_RETRYABLE: string[] = [FailureType.ImportNotFound, FailureType.ImportBadInput];

/**
 * How a workflow sends an e-mail from the outbox (`sendOutboxEmail`): retried with back-off for
 * SMTP trouble, never for a refusal. Finite, because the sender marks the outbox row failed on
 * the last attempt.
 */
export const OUTBOX_SEND_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [FailureType.EmailRejected, FailureType.EmailSuppressed, FailureType.OutboxEmailNotFound],
  },
};
