// Users & Seats: the account's users and seats (the owner adds users and sets them inactive;
// admins see it read-only), and each LSP's day: today's ledger ("38 / 50") and, for the owner,
// their daily target, licensed states and whether they are available. Setting a user with open
// leads inactive asks where the leads go (the pool or an active LSP) and says where they went.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { Badge } from '../components/badges.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { StateCheckboxes } from '../components/state-checkboxes.tsx';
import { capacityLedger, DAILY_TARGET_MAX, DAILY_TARGET_MIN, type LspLedger } from '../../../db/distribution/ledger.ts';
import { STATE_OPTIONS } from '../utils/company.server.ts';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { notFound, parseForm, type FieldErrors } from '../utils/forms.server.ts';
import { assignDeps, requestAutoAssignFromWeb } from '../utils/distribution.server.ts';
import { formatDateTime, roleLabel } from '../utils/labels.ts';
import { SeatStats } from '../components/seat-stats.tsx';
import {
  checkLicensedStates,
  createAccountUser,
  createUserSchema,
  handOverLocation,
  handOverMessage,
  listAccountUsers,
  openLeadsByUser,
  recordedHandOver,
  seatUsageOf,
  setAccountUserStatus,
  updateUserDay,
} from '../utils/users.server.ts';

export const meta: MetaFunction = () => [{ title: 'Users & Seats · Leadflow' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ['owner', 'admin']);
  const { db } = context.services;
  const [users, seats, ledger, openLeads, handedOver] = await Promise.all([
    listAccountUsers(db, user.accountId),
    seatUsageOf(db, user.accountId),
    capacityLedger(db, user.accountId),
    openLeadsByUser(db, user.accountId),
    recordedHandOver(db, user.accountId, new URL(request.url)),
  ]);
  return {
    users,
    seats,
    ledger: ledger.lsps,
    openLeads,
    handOver: handedOver ? handOverMessage(handedOver) : null,
    states: STATE_OPTIONS,
    canManage: user.role === 'owner',
    me: user.id,
    timeZone: user.timeZone,
  };
}

const statusSchema = z.object({
  userId: z.uuid(),
  status: z.enum(['active', 'inactive']),
  // Where a leaving user's open leads go: 'pool', or an active LSP's id. Left out: the pool.
  handTo: z
    .string()
    .refine((v) => v === 'pool' || z.uuid().safeParse(v).success, 'Choose the pool or an active LSP')
    .optional(),
});

const daySchema = z.object({
  userId: z.uuid(),
  dailyTarget: z.coerce
    .number('Enter a number')
    .int('Enter a whole number')
    .min(DAILY_TARGET_MIN, `At least ${DAILY_TARGET_MIN}`)
    .max(DAILY_TARGET_MAX, `At most ${DAILY_TARGET_MAX}`),
  available: z.enum(['on']).optional(),
});

type ActionResult = {
  intent: 'create' | 'status' | 'day';
  /** The user a `day` answer is about. */
  userId?: string;
  fieldErrors: FieldErrors;
  formError: string | null;
  created: { username: string; name: string; temporaryPassword: string } | null;
};

// Answers may carry a temporary password; web/server.ts marks every page no-store, so no cache keeps it.
const result = (r: Partial<ActionResult> & Pick<ActionResult, 'intent'>, init: { status?: number } = {}) =>
  data<ActionResult>({ fieldErrors: {}, formError: null, created: null, ...r }, { status: init.status ?? 200 });

export async function action({ request, context }: ActionFunctionArgs) {
  // Only the owner manages users; admins see the page read-only.
  const user = await requireRole(request, context, ['owner']);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const { db } = context.services;
  const intent = formData.get('intent');

  if (intent === 'create') {
    const parsed = parseForm(createUserSchema, formData);
    if (!parsed.success) return result({ intent: 'create', fieldErrors: parsed.fieldErrors }, { status: 400 });
    const created = await createAccountUser(db, user.accountId, parsed.data);
    if (!created.ok) {
      return 'formError' in created
        ? result({ intent: 'create', formError: created.formError }, { status: created.status })
        : result({ intent: 'create', fieldErrors: created.fieldErrors }, { status: created.status });
    }
    return result({ intent: 'create', created: { username: created.user.username, name: created.user.name, temporaryPassword: created.temporaryPassword } });
  }

  if (intent === 'status') {
    const parsed = parseForm(statusSchema, formData);
    if (!parsed.success) {
      if (parsed.fieldErrors.handTo && !parsed.fieldErrors.userId && !parsed.fieldErrors.status) return result({ intent: 'status', formError: parsed.fieldErrors.handTo.join('. ') }, { status: 400 });
      throw notFound();
    }
    const { userId, status, handTo } = parsed.data;
    const changed = await setAccountUserStatus(assignDeps(context.services), user.accountId, userId, status, { byUserId: user.id, handTo: handTo === 'pool' ? null : handTo });
    if (!changed.ok) {
      if ('notFound' in changed) throw notFound();
      return result({ intent: 'status', formError: changed.formError }, { status: changed.status });
    }
    // The page then says where their leads went, read back from what the hand-over recorded.
    throw redirect(changed.handOver ? handOverLocation(changed.handOver) : '/users');
  }

  if (intent === 'day') {
    const userId = formData.get('userId');
    const parsed = parseForm(daySchema, formData);
    // Checkboxes, one value each: parseForm keeps one value per name, so they are read here.
    const states = checkLicensedStates(formData.getAll('licensedStates').map(String));
    if (!parsed.success || 'error' in states) {
      if (!parsed.success && parsed.fieldErrors.userId) throw notFound();
      const fieldErrors: FieldErrors = { ...(parsed.success ? {} : parsed.fieldErrors), ...('error' in states ? { licensedStates: [states.error] } : {}) };
      return result({ intent: 'day', userId: String(userId), fieldErrors }, { status: 400 });
    }
    const v = parsed.data;
    if (!(await updateUserDay(db, user.accountId, v.userId, { dailyTarget: v.dailyTarget, available: Boolean(v.available), licensedStates: states.codes }))) throw notFound();
    await requestAutoAssignFromWeb(context.services, user.accountId, 'an LSP’s day changed on Users & Seats');
    throw redirect('/users');
  }

  return result({ intent: 'create', formError: 'Unknown action.' }, { status: 400 });
}

export default function UsersAndSeats() {
  const { users, seats, ledger, openLeads, handOver, states, canManage, me, timeZone } = useLoaderData<typeof loader>();
  const activeLsps = users.filter((u) => u.role === 'lsp' && u.status === 'active');
  const actionData = useActionData<typeof action>();
  const createErrors = actionData?.intent === 'create' ? actionData : null;
  return (
    <>
      <div className="page-head">
        <h1>Users &amp; Seats</h1>
      </div>

      <section className="card" aria-labelledby="seats-title">
        <h2 id="seats-title">Seats</h2>
        <SeatStats seats={seats} />
        <p className="muted small-text">Two seats are free per account each calendar year; each further seat is $25 a month. The owner holds no seat; an inactive user frees theirs.</p>
      </section>

      {actionData?.intent === 'status' ? <FormError message={actionData.formError} /> : null}
      {handOver ? (
        <div className="alert alert-ok" role="status">
          {handOver}
        </div>
      ) : null}

      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Users of this account</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Username</th>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
                {canManage ? <th scope="col">Change</th> : null}
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td data-label="Name">{u.name}</td>
                  <td data-label="Username">{u.username}</td>
                  <td data-label="E-mail">{u.email}</td>
                  <td data-label="Role">{roleLabel(u.role)}</td>
                  <td data-label="Status">
                    <Badge tone={u.status === 'active' ? 'ok' : 'neutral'}>{u.status === 'active' ? 'Active' : 'Inactive'}</Badge>
                    {u.mustChangePassword ? <span className="muted small-text"> · temporary password</span> : null}
                  </td>
                  <td data-label="Added">{formatDateTime(u.createdAt, timeZone)}</td>
                  {canManage ? (
                    <td data-label="Change">
                      {u.role !== 'owner' && u.id !== me && u.status === 'active' && openLeads[u.id]?.total ? (
                        <HandOverForm user={u} open={openLeads[u.id]!} lsps={activeLsps.filter((l) => l.id !== u.id)} />
                      ) : u.role !== 'owner' && u.id !== me ? (
                        <Form method="post" className="inline-form">
                          <CsrfInput />
                          <input type="hidden" name="intent" value="status" />
                          <input type="hidden" name="userId" value={u.id} />
                          <input type="hidden" name="status" value={u.status === 'active' ? 'inactive' : 'active'} />
                          <button type="submit" className="button secondary small" aria-label={`${u.status === 'active' ? 'Set inactive' : 'Set active'}: ${u.name}`}>
                            {u.status === 'active' ? 'Set inactive' : 'Set active'}
                          </button>
                        </Form>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card" aria-labelledby="day-title">
        <h2 id="day-title">The LSPs’ day</h2>
        <p className="muted small-text">Today’s work of each active LSP against their daily target: follow-ups due today plus leads newly assigned today.</p>
        {ledger.length === 0 ? (
          <p className="muted">No active LSPs.</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Each LSP’s day</caption>
              <thead>
                <tr>
                  <th scope="col">LSP</th>
                  <th scope="col">Today</th>
                  <th scope="col">Availability</th>
                  <th scope="col">Licensed states</th>
                  {canManage ? <th scope="col">Change</th> : null}
                </tr>
              </thead>
              <tbody>
                {ledger.map((l) => (
                  <LspDayRow
                    key={l.userId}
                    ledger={l}
                    licensedStates={users.find((x) => x.id === l.userId)?.licensedStates ?? []}
                    states={states}
                    canManage={canManage}
                    errors={actionData?.intent === 'day' && actionData.userId === l.userId ? actionData.fieldErrors : null}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {canManage ? (
        <section className="card narrow" aria-labelledby="create-title">
          <h2 id="create-title">Add a user</h2>
          {createErrors?.created ? (
            <div className="alert alert-ok" role="status">
              <p>
                {createErrors.created.name} ({createErrors.created.username}) can sign in now with this temporary password, shown only this once:
              </p>
              <p>
                <code className="secret">{createErrors.created.temporaryPassword}</code>
              </p>
              <p>They will choose their own password at first sign-in.</p>
            </div>
          ) : null}
          <FormError message={createErrors?.formError} />
          <Form method="post" noValidate key={createErrors?.created?.username ?? 'new'}>
            <CsrfInput />
            <input type="hidden" name="intent" value="create" />
            <Field label="Username" name="username" autoCapitalize="none" spellCheck={false} required errors={createErrors?.fieldErrors.username} />
            <Field label="Name" name="name" autoComplete="off" required errors={createErrors?.fieldErrors.name} />
            <Field label="E-mail address" name="email" type="email" autoComplete="off" required errors={createErrors?.fieldErrors.email} />
            <div className="field">
              <label htmlFor="new-user-role">Role</label>
              <select id="new-user-role" name="role" defaultValue="lsp">
                <option value="lsp">LSP (works assigned leads)</option>
                <option value="admin">Admin (manages leads)</option>
                <option value="support">Support (finds stuck leads)</option>
              </select>
              {createErrors?.fieldErrors.role ? <p className="field-error">{createErrors.fieldErrors.role.join('. ')}</p> : null}
            </div>
            <button type="submit" className="button primary">
              Add the user
            </button>
          </Form>
        </section>
      ) : (
        <p className="muted">Only the account owner adds users and changes their status.</p>
      )}
    </>
  );
}

/**
 * Setting a user with open leads inactive: where those leads go, the pool or an active LSP.
 * Each LSP's option says how many of the leads they are not licensed for (those go to the pool).
 */
function HandOverForm({
  user,
  open,
  lsps,
}: {
  user: { id: string; name: string };
  open: { total: number; byState: Record<string, number> };
  lsps: Array<{ id: string; name: string; licensedStates: string[] }>;
}) {
  const notLicensedFor = (states: string[]) => {
    const held = new Set(states.map((s) => s.toUpperCase()));
    return Object.entries(open.byState).reduce((n, [state, count]) => (held.has(state) ? n : n + count), 0);
  };
  const leads = `${open.total} open lead${open.total === 1 ? '' : 's'}`;
  return (
    <details>
      <summary aria-label={`Set inactive: ${user.name}`}>Set inactive…</summary>
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="status" />
        <input type="hidden" name="userId" value={user.id} />
        <input type="hidden" name="status" value="inactive" />
        <div className="field">
          <label htmlFor={`handTo-${user.id}`}>
            {user.name}’s {leads} go to
          </label>
          <select id={`handTo-${user.id}`} name="handTo" defaultValue="pool" aria-describedby={`handTo-${user.id}-hint`}>
            <option value="pool">the pool</option>
            {lsps.map((l) => {
              const unlicensed = notLicensedFor(l.licensedStates);
              return (
                <option key={l.id} value={l.id}>
                  {l.name}
                  {unlicensed ? ` (not licensed for ${unlicensed} of them: those go to the pool)` : ''}
                </option>
              );
            })}
          </select>
          <p className="hint" id={`handTo-${user.id}-hint`}>
            Their pending call-backs go with the leads. They are signed out at once.
          </p>
        </div>
        <button type="submit" className="button secondary small">
          Set {user.name} inactive
        </button>
      </Form>
    </details>
  );
}

/** One LSP's day: today's ledger, availability and states, and for the owner the form that changes them. */
function LspDayRow({
  ledger: l,
  licensedStates,
  states,
  canManage,
  errors,
}: {
  ledger: LspLedger;
  licensedStates: string[];
  states: ReadonlyArray<{ code: string; name: string }>;
  canManage: boolean;
  errors: FieldErrors | null;
}) {
  return (
    <tr>
      <td data-label="LSP">{l.name}</td>
      <td data-label="Today">
        <span title={`${l.followUpsDue} follow-ups due today, ${l.newAssigned} new leads assigned today; ${l.capacityLeft} left`}>
          {l.used} / {l.target}
        </span>
        <span className="muted small-text">
          {' '}
          ({l.followUpsDue} follow-ups, {l.newAssigned} new)
        </span>
      </td>
      <td data-label="Availability">
        <Badge tone={l.available ? 'ok' : 'neutral'}>{l.available ? 'Available' : 'Away'}</Badge>
      </td>
      <td data-label="Licensed states">{licensedStates.length ? licensedStates.join(', ') : <span className="muted">none</span>}</td>
      {canManage ? (
        <td data-label="Change">
          <details open={Boolean(errors)}>
            <summary>Edit {l.name}’s day</summary>
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="day" />
              <input type="hidden" name="userId" value={l.userId} />
              <Field
                label="Daily target"
                name="dailyTarget"
                type="number"
                min={DAILY_TARGET_MIN}
                max={DAILY_TARGET_MAX}
                step={1}
                defaultValue={l.target}
                required
                errors={errors?.dailyTarget}
              />
              <label>
                <input type="checkbox" name="available" defaultChecked={l.available} /> Available today (gets new leads)
              </label>
              <StateCheckboxes legend="Licensed states" name="licensedStates" states={states} checked={licensedStates} errors={errors?.licensedStates} />
              <button type="submit" className="button primary small">
                Save {l.name}’s day
              </button>
            </Form>
          </details>
        </td>
      ) : null}
    </tr>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
