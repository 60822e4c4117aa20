import type { ReactNode } from 'react';
import { Form, useNavigation } from '@remix-run/react';
import { CsrfInput } from './csrf-input.tsx';
import { FormError } from './field.tsx';

/**
 * One of the assignment forms (lead page, leads list): the CSRF token, the intent, the form's
 * own fields, the reason every assignment records, and its button. The server checks it all
 * again (web/app/utils/leads.server.ts); 500 is db/distribution/assign.ts's ASSIGN_REASON_MAX,
 * repeated because browser code cannot import that server module.
 */
export function AssignForm({ intent, id, button, reasonHint, secondary, children }: { intent: string; id?: string; button: string; reasonHint?: string; secondary?: boolean; children?: ReactNode }) {
  const busy = useNavigation().state === 'submitting';
  return (
    <Form method="post" replace id={id} className="inline-form">
      <CsrfInput />
      <input type="hidden" name="intent" value={intent} />
      {children}
      <label>
        Reason <input type="text" name="reason" required maxLength={500} placeholder={reasonHint} />
      </label>
      <button type="submit" className={secondary ? 'button secondary' : 'button'} disabled={busy}>
        {button}
      </button>
    </Form>
  );
}

/** The LSPs to choose from, each with a note after the name (licensing). */
export function LspSelect({ lsps, note }: { lsps: ReadonlyArray<{ id: string; name: string }>; note: (lsp: { id: string; name: string }) => string | null }) {
  return (
    <select name="userId" required defaultValue="" aria-label="LSP">
      <option value="" disabled>
        Choose an LSP
      </option>
      {lsps.map((l) => (
        <option key={l.id} value={l.id}>
          {[l.name, note(l)].filter(Boolean).join(' ')}
        </option>
      ))}
    </select>
  );
}

/** What the last assignment form answered: its error, or what was done. */
export function AssignOutcome({ error, message }: { error: string | null | undefined; message: string | null | undefined }) {
  return (
    <>
      <FormError message={error} />
      {message ? (
        <p className="alert alert-ok" role="status">
          {message}
        </p>
      ) : null}
    </>
  );
}
