// E-mail templates (the owner's): the confirmation an E-mail Confirmed Quick Action sends the
// lead, the notice an Appointment sends the agency's appointment desk, and the desk's address.
// Plain text with merge fields; a preview fills them with sample values before anything is
// saved, and a field a template does not know is refused with the list of those it does.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import {
  ACTION_EMAIL_KEYS,
  ACTION_EMAIL_NAMES,
  BODY_MAX,
  loadActionEmailTemplate,
  MERGE_FIELDS,
  PREVIEW_VALUES,
  renderTemplate,
  resetActionEmailTemplate,
  saveActionEmailTemplate,
  SUBJECT_MAX,
  templateProblem,
  type ActionEmailKey,
} from '../../../db/action-emails.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';

export const meta: MetaFunction = () => [{ title: 'E-mail templates · Leadflow' }];

// The owner's alone, as My Company is: what the agency says to its leads in its own name.
const ROLES = ['owner'] as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const isKey = (v: unknown): v is ActionEmailKey => (ACTION_EMAIL_KEYS as readonly unknown[]).includes(v);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const { db } = context.services;
  const account = await db('accounts').where({ id: user.accountId }).first('appointment_desk_email');
  const templates = await Promise.all(
    ACTION_EMAIL_KEYS.map(async (key) => ({ key, name: ACTION_EMAIL_NAMES[key], fields: MERGE_FIELDS[key], ...(await loadActionEmailTemplate(db, user.accountId, key)) })),
  );
  const saved = new URL(request.url).searchParams.get('saved');
  return { deskEmail: (account?.appointment_desk_email as string | null) ?? '', templates, saved };
}

type ActionResult = {
  key: ActionEmailKey | 'desk';
  error: string | null;
  preview: { subject: string; body: string } | null;
  draft: { subject: string; body: string } | null;
  deskEmail?: string;
};

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const { db } = context.services;
  const intent = String(formData.get('intent') ?? '');

  if (intent === 'desk') {
    const deskEmail = String(formData.get('deskEmail') ?? '').trim();
    if (deskEmail && (deskEmail.length > 254 || !EMAIL.test(deskEmail))) {
      return data<ActionResult>({ key: 'desk', error: `"${deskEmail}" is not an e-mail address.`, preview: null, draft: null, deskEmail }, { status: 400 });
    }
    await db('accounts').where({ id: user.accountId }).update({ appointment_desk_email: deskEmail || null, updated_at: db.fn.now() });
    throw redirect('/email-templates?saved=desk');
  }

  const key = formData.get('key');
  if (!isKey(key)) return data<ActionResult>({ key: 'confirmation', error: 'Choose a template.', preview: null, draft: null }, { status: 400 });
  if (intent === 'reset') {
    await resetActionEmailTemplate(db, user.accountId, key);
    throw redirect(`/email-templates?saved=${key}`);
  }
  // Line endings as the browser sends them (CRLF) become plain newlines, as e-mail text expects.
  const draft = { subject: String(formData.get('subject') ?? '').trim(), body: String(formData.get('body') ?? '').replace(/\r\n?/g, '\n') };
  const problem = templateProblem(key, draft);
  if (problem) return data<ActionResult>({ key, error: problem, preview: null, draft }, { status: 400 });
  if (intent === 'preview') {
    const account = await db('accounts').where({ id: user.accountId }).first('name');
    return data<ActionResult>({ key, error: null, preview: renderTemplate(draft, { ...PREVIEW_VALUES, agency_name: account?.name ?? 'Your agency' }), draft });
  }
  if (intent !== 'save') return data<ActionResult>({ key, error: 'Unknown request.', preview: null, draft }, { status: 400 });
  await saveActionEmailTemplate(db, user.accountId, key, draft, user.id);
  throw redirect(`/email-templates?saved=${key}`);
}

export default function EmailTemplates() {
  const { deskEmail, templates, saved } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  return (
    <section aria-labelledby="email-templates-title">
      <h1 id="email-templates-title">E-mail templates</h1>
      <p>
        What Leadflow e-mails when an LSP presses <strong>E-mail Confirmed</strong> (a confirmation to the lead) or books an <strong>Appointment / Call Back</strong> (a notice to your appointment desk). Plain text; merge fields in double braces are filled in for each lead.
      </p>

      <div className="card narrow">
        <h2>Appointment desk</h2>
        {saved === 'desk' && !result ? (
          <p className="alert alert-ok" role="status">
            Saved.
          </p>
        ) : null}
        <Form method="post" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="desk" />
          <Field
            label="Appointment desk e-mail address"
            name="deskEmail"
            type="email"
            defaultValue={result?.key === 'desk' ? result.deskEmail : deskEmail}
            errors={result?.key === 'desk' && result.error ? [result.error] : undefined}
            hint="Every Appointment / Call Back is e-mailed here, and the lead's Appointment made date is set when it goes out. Leave it empty to tell nobody."
          />
          <button type="submit" className="button primary">
            Save address
          </button>
        </Form>
      </div>

      {templates.map((t) => {
        const mine = result && result.key === t.key ? result : null;
        const subject = mine?.draft?.subject ?? t.subject;
        const body = mine?.draft?.body ?? t.body;
        return (
          <div className="card" key={t.key} aria-labelledby={`template-${t.key}`}>
            <h2 id={`template-${t.key}`}>{t.name}</h2>
            {saved === t.key && !result ? (
              <p className="alert alert-ok" role="status">
                Saved.
              </p>
            ) : null}
            <p className="muted">{t.custom ? 'Your wording.' : "Leadflow's default wording: save to make it yours."}</p>
            <FormError message={mine?.error} />
            {/* A fresh form after each answer, so the fields show what was sent or saved. */}
            <Form method="post" key={`${t.key}-${subject}-${body}`}>
              <CsrfInput />
              <input type="hidden" name="key" value={t.key} />
              <Field label="Subject" name="subject" defaultValue={subject} maxLength={SUBJECT_MAX} />
              <div className="field">
                <label htmlFor={`body-${t.key}`}>Body</label>
                <textarea id={`body-${t.key}`} name="body" rows={10} maxLength={BODY_MAX} defaultValue={body} style={{ font: 'inherit', padding: '0.55rem 0.65rem', border: '1px solid #aab1bd', borderRadius: 6, width: '100%', boxSizing: 'border-box' }} />
              </div>
              <details>
                <summary>Merge fields</summary>
                <ul className="plain">
                  {Object.entries(t.fields).map(([field, what]) => (
                    <li key={field}>
                      <code>{`{{${field}}}`}</code>: {what}
                    </li>
                  ))}
                </ul>
              </details>
              <div className="quick-actions">
                <button type="submit" name="intent" value="preview" className="button secondary">
                  Preview
                </button>
                <button type="submit" name="intent" value="save" className="button primary">
                  Save
                </button>
                {t.custom ? (
                  <button type="submit" name="intent" value="reset" className="button secondary">
                    Back to the default
                  </button>
                ) : null}
              </div>
            </Form>
            {mine?.preview ? (
              <div className="preview" aria-label={`Preview of ${t.name}`}>
                <h3>Preview (sample lead Pat Jones; not saved yet)</h3>
                <p>
                  <strong>Subject:</strong> {mine.preview.subject}
                </p>
                <pre style={{ whiteSpace: 'pre-wrap', font: 'inherit' }}>{mine.preview.body}</pre>
              </div>
            ) : null}
          </div>
        );
      })}
    </section>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
