// Subscription (the owner's): how many paid seats the agency has on top of the two free ones,
// what that costs a month, and every change made, by whom and when. Leadflow takes no payment:
// the page records what the agency committed to; billing happens outside Leadflow.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { accountSeatUsage, FREE_SEATS, PAID_SEATS_MAX, SEAT_PRICE_PER_MONTH_USD, SeatChangeError, seatChanges, setPaidSeats } from '../../../db/seats.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field } from '../components/field.tsx';
import { Time } from '../components/time.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { formatUsd } from '../utils/labels.ts';
import { SeatStats } from '../components/seat-stats.tsx';

export const meta: MetaFunction = () => [{ title: 'Subscription · Leadflow' }];

const ROLES = ['owner'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const { db } = context.services;
  const [seats, changes] = await Promise.all([accountSeatUsage(db, user.accountId), seatChanges(db, user.accountId)]);
  return { seats, changes: changes.map((c) => ({ ...c, at: c.at.toISOString() })), saved: new URL(request.url).searchParams.get('saved') === '1' };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const raw = String(formData.get('paidSeats') ?? '').trim();
  const paidSeats = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  try {
    await setPaidSeats(context.services.db, user.accountId, user.id, paidSeats);
  } catch (err) {
    if (err instanceof SeatChangeError) return data({ error: err.message }, { status: 400 });
    throw err;
  }
  throw redirect('/subscription?saved=1');
}

export default function Subscription() {
  const { seats, changes, saved } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [paid, setPaid] = useState(String(seats.paid));
  const preview = /^\d{1,4}$/.test(paid) ? Number(paid) * SEAT_PRICE_PER_MONTH_USD : null;
  return (
    <section aria-labelledby="subscription-title">
      <h1 id="subscription-title">Subscription</h1>
      <p className="alert alert-warn" role="note">
        Leadflow does not take payments. This page records how many seats your agency pays for; you are billed outside Leadflow.
      </p>
      {saved && !result ? (
        <p className="alert alert-ok" role="status">
          Saved.
        </p>
      ) : null}
      <div className="card narrow">
        <SeatStats seats={seats} />
        <Form method="post" noValidate>
          <CsrfInput />
          <Field
            label="Paid seats"
            name="paidSeats"
            type="number"
            inputMode="numeric"
            min={0}
            max={PAID_SEATS_MAX}
            value={paid}
            onChange={(e) => setPaid(e.currentTarget.value)}
            errors={result?.error ? [result.error] : undefined}
            hint={
              <>
                {FREE_SEATS} seats are free; each paid seat is {formatUsd(SEAT_PRICE_PER_MONTH_USD)} a month.
                {preview !== null ? ` With ${paid}: ${formatUsd(preview)} a month.` : ''} Each active user except the owner holds a seat (<Link to="/users">Users & Seats</Link>).
              </>
            }
          />
          <button type="submit" className="button primary">
            Save seats
          </button>
        </Form>
      </div>
      <h2>Changes</h2>
      {changes.length ? (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Changes of paid seats, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">By</th>
                <th scope="col">Paid seats</th>
                <th scope="col">Monthly cost</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((c) => (
                <tr key={`${c.at}-${c.before}-${c.after}`}>
                  <td>
                    <Time value={c.at} />
                  </td>
                  <td>{c.by ?? 'A former user'}</td>
                  <td>
                    {c.before} → {c.after}
                  </td>
                  <td>
                    {formatUsd(c.before * SEAT_PRICE_PER_MONTH_USD)} → {formatUsd(c.after * SEAT_PRICE_PER_MONTH_USD)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No changes recorded yet.</p>
      )}
    </section>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
