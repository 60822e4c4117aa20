import { describe, expect, it } from 'vitest';
import { applyQuickAction, QUICK_ACTIONS, validateQuickAction } from '../../workflows/lead/quick-actions.ts';
import { cadenceTemplateFor, segmentFor } from '../../workflows/lead/segment.ts';
import { inCallingWindow, nextCallingTime } from '../../workflows/lead/calling-window.ts';
import { duplicateKey } from '../../workflows/lead/dedupe.ts';
import { LEAD_SOURCES } from '../../workflows/lead/templates.ts';
import { CADENCES, nextCadenceStep, shouldRecycle } from '../../workflows/lead/cadences.ts';

const fresh = { milestone: 'new', closed: false, cadenceStopped: false, seenActionIds: [] as string[] };

describe('quick actions', () => {
  it('moves the milestone and records the action once even when clicked twice', () => {
    const req = { actionId: 'a1', action: 'quoted' as const, byUserId: 'u', at: '2026-01-01T10:00:00Z' };
    const once = applyQuickAction(fresh, req);
    expect(once).toMatchObject({ milestone: 'quoted', duplicate: false });
    const twice = applyQuickAction(once, req);
    expect(twice.duplicate).toBe(true);
    expect(twice.seenActionIds).toEqual(['a1']);
  });

  it('stops the cadence and closes the lead on Sold, Not Interested and Do Not Contact', () => {
    for (const action of ['sold', 'not_interested', 'do_not_contact'] as const) {
      const s = applyQuickAction(fresh, { actionId: action, action, byUserId: 'u', at: '2026-01-01T10:00:00Z' });
      expect(s).toMatchObject({ closed: true, cadenceStopped: true });
    }
  });

  it('keeps the cadence going after an attempted contact', () => {
    const s = applyQuickAction(fresh, { actionId: 'x', action: 'attempted_contact', byUserId: 'u', at: '2026-01-01T10:00:00Z' });
    expect(s).toMatchObject({ milestone: 'attempted_contact', closed: false, cadenceStopped: false });
  });

  it('requires a future date and time for an appointment', () => {
    const now = new Date('2026-01-01T10:00:00Z');
    expect(validateQuickAction({ actionId: 'x', action: 'appointment' }, now)).toMatch(/needs a date and time/);
    expect(validateQuickAction({ actionId: 'x', action: 'appointment', dueAt: 'tomorrow' }, now)).toMatch(/not a date/);
    expect(validateQuickAction({ actionId: 'x', action: 'appointment', dueAt: '2025-12-31T10:00:00Z' }, now)).toMatch(/future/);
    expect(validateQuickAction({ actionId: 'x', action: 'appointment', dueAt: '2026-01-02T15:00:00Z' }, now)).toBeUndefined();
  });

  it('names the valid actions when given an unknown one', () => {
    expect(validateQuickAction({ actionId: 'x', action: 'teleport' as never }, new Date())).toMatch(/unknown quick action "teleport"; valid: attempted_contact/);
  });

  it('has the nine Quick Actions of the platform', () => {
    expect(QUICK_ACTIONS.map((q) => q.label)).toEqual([
      'Attempted Contact', 'Contacted', 'Not Interested', 'Quoted', 'Appointment / Call Back', 'Personalized Proposal', 'Sold', 'Bad Contact Info', 'Do Not Contact',
    ]);
  });
});

describe('segments', () => {
  it('puts every source in a segment and a cadence', () => {
    for (const s of LEAD_SOURCES) {
      expect(['highly_engaged', 'engaged', 'cold']).toContain(segmentFor(s));
      expect(cadenceTemplateFor(s)).toBeTruthy();
    }
  });

  it('works MWI and spreadsheets as highly engaged LAT/MWI, web and manual as highly engaged web/manual', () => {
    expect(cadenceTemplateFor('mwi')).toBe('highly_engaged_lat_mwi');
    expect(cadenceTemplateFor('spreadsheet')).toBe('highly_engaged_lat_mwi');
    expect(cadenceTemplateFor('web_vendor')).toBe('highly_engaged_web_manual');
    expect(cadenceTemplateFor('manual')).toBe('highly_engaged_web_manual');
    expect(cadenceTemplateFor('national_campaign')).toBe('cold_prospects');
  });
});

describe('calling window', () => {
  it('allows 8:00 to 21:00 local time only', () => {
    // 13:00 UTC is 8:00 in New York (EST) and 5:00 in Los Angeles.
    expect(inCallingWindow(new Date('2026-01-15T13:00:00Z'), 'America/New_York')).toBe(true);
    expect(inCallingWindow(new Date('2026-01-15T13:00:00Z'), 'America/Los_Angeles')).toBe(false);
    expect(inCallingWindow(new Date('2026-01-16T02:00:00Z'), 'America/New_York')).toBe(false); // 21:00
  });

  it('moves a call outside the window to the next local 8:00', () => {
    expect(nextCallingTime(new Date('2026-01-15T13:00:00Z'), 'America/Los_Angeles').toISOString()).toBe('2026-01-15T16:00:00.000Z');
    expect(nextCallingTime(new Date('2026-01-16T03:30:00Z'), 'America/Chicago').toISOString()).toBe('2026-01-16T14:00:00.000Z');
  });

  it('lands on local 8:00 across a daylight-saving change', () => {
    // 2026-03-08 is the spring-forward day in the US.
    expect(nextCallingTime(new Date('2026-03-08T04:00:00Z'), 'America/New_York').toISOString()).toBe('2026-03-08T12:00:00.000Z');
  });
});

describe('duplicate key', () => {
  it('treats names and addresses that differ only in case and spacing as one person', () => {
    const a = duplicateKey({ firstName: ' Ann ', lastName: 'LEE', addressLine1: '1  Main   St', city: 'Austin', state: 'tx', zip: '8701' });
    const b = duplicateKey({ firstName: 'ann', lastName: 'lee', addressLine1: '1 main st', city: 'AUSTIN', state: 'TX', zip: '08701' });
    expect(a).toBe(b);
  });

  it('keeps different people apart', () => {
    const a = duplicateKey({ firstName: 'Ann', lastName: 'Lee', addressLine1: '1 Main St', city: 'Austin', state: 'TX', zip: '78701' });
    const b = duplicateKey({ firstName: 'Anne', lastName: 'Lee', addressLine1: '1 Main St', city: 'Austin', state: 'TX', zip: '78701' });
    expect(a).not.toBe(b);
  });
});

describe('cadences', () => {
  it('are ordered in time and start by calling highly engaged prospects at once', () => {
    for (const steps of Object.values(CADENCES)) {
      const times = steps.map((s) => s.afterMs);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    }
    expect(CADENCES.highly_engaged_lat_mwi[0]).toMatchObject({ kind: 'call_task', afterMs: 0 });
    expect(CADENCES.cold_prospects[0]).toMatchObject({ kind: 'email' });
  });

  it('gives the next step and its due time, and nothing once the cadence is done', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    expect(nextCadenceStep('engaged_prospects', 1, start)).toMatchObject({ index: 1, dueAtMs: start + 2 * 86_400_000 });
    expect(nextCadenceStep('engaged_prospects', CADENCES.engaged_prospects.length, start)).toBeUndefined();
  });
});

describe('3-day recycle rule', () => {
  const base = { status: 'new', assignedUserId: null, worked: false, dnc: false, dne: false, phones: [], emails: [] };
  it('recycles a new unassigned lead with no usable phone or e-mail', () => {
    expect(shouldRecycle(base)).toBe(true);
    expect(shouldRecycle({ ...base, dnc: true, dne: true, phones: [{ e164: '+15125550101', valid: true }], emails: [{ address: 'a@b.co', valid: true }] })).toBe(true);
  });
  it('keeps a lead that is assigned, worked, or reachable on one channel', () => {
    expect(shouldRecycle({ ...base, assignedUserId: 'u1' })).toBe(false);
    expect(shouldRecycle({ ...base, worked: true })).toBe(false);
    expect(shouldRecycle({ ...base, phones: [{ e164: '+15125550101', valid: true }] })).toBe(false);
    expect(shouldRecycle({ ...base, dnc: true, phones: [{ e164: '+15125550101', valid: true }], emails: [{ address: 'a@b.co', valid: true }] })).toBe(false);
  });
});
