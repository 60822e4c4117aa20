// The LSP's own day on My Leads: "12 / 50 today: 4 follow-ups, 8 new" and a switch between
// available and away (posted to /my-day, which sends the LSP back here).
import { Form } from '@remix-run/react';
import type { MyDay } from '../utils/my-day.server.ts';
import { Badge } from './badges.tsx';
import { CsrfInput } from './csrf-input.tsx';

export function MyDayPanel({ day }: { day: MyDay }) {
  return (
    <section className="card" aria-labelledby="my-day-title">
      <h2 id="my-day-title" className="visually-hidden">
        My day
      </h2>
      <p>
        <strong>
          {day.used} / {day.target} today:
        </strong>{' '}
        {day.followUpsDue} follow-up{day.followUpsDue === 1 ? '' : 's'}, {day.newAssigned} new
        <span className="muted"> · {day.capacityLeft} left</span>
      </p>
      <Form method="post" action="/my-day" className="inline-form">
        <CsrfInput />
        <Badge tone={day.available ? 'ok' : 'neutral'}>{day.available ? 'Available' : 'Away'}</Badge>
        <input type="hidden" name="available" value={day.available ? 'false' : 'true'} />
        <button type="submit" className="button secondary small">
          {day.available ? 'Set me away' : 'Set me available'}
        </button>
        <span className="muted small-text">{day.available ? 'You get new leads today.' : 'You get no new leads while away.'}</span>
      </Form>
    </section>
  );
}
