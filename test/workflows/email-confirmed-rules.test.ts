// E-mail Confirmed's milestone rule: a lead at New or Attempted Contact has been reached, so it
// is Contacted; a lead further on, closed ones included, keeps its milestone: the action never
// moves a lead backwards, never closes it and never reopens it.
import { describe, expect, it } from 'vitest';
import { applyQuickAction, validateQuickAction, type QuickActionRequest } from '../../workflows/lead/quick-actions.ts';

const press = (milestone: string, closed = false) =>
  applyQuickAction({ milestone, closed, cadenceStopped: closed, seenActionIds: [] }, { actionId: 'a1', action: 'email_confirmed', byUserId: 'u1', at: '2026-12-01T15:00:00.000Z' } satisfies QuickActionRequest);

describe('E-mail Confirmed', () => {
  it('is a valid Quick Action that needs no time', () => {
    expect(validateQuickAction({ actionId: 'a1', action: 'email_confirmed' }, new Date())).toBeUndefined();
  });

  it.each(['new', 'attempted_contact'])('moves a lead at %s to Contacted', (from) => {
    expect(press(from)).toMatchObject({ milestone: 'contacted', closed: false, cadenceStopped: false, duplicate: false });
  });

  it.each(['contacted', 'quoted', 'appointment', 'personalized_proposal'])('leaves a lead at %s where it is', (from) => {
    expect(press(from).milestone).toBe(from);
  });

  it.each(['not_interested', 'sold', 'do_not_contact'])('neither reopens nor moves a closed lead at %s', (from) => {
    expect(press(from, true)).toMatchObject({ milestone: from, closed: true, cadenceStopped: true });
  });

  it('counts a repeated press once', () => {
    const once = press('new');
    expect(applyQuickAction({ milestone: once.milestone, closed: false, cadenceStopped: false, seenActionIds: once.seenActionIds }, { actionId: 'a1', action: 'email_confirmed', byUserId: 'u1', at: '2026-12-01T15:00:00.000Z' }).duplicate).toBe(true);
  });
});
