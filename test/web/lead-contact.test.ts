// Whether the lead may be called now, on the lead's clock, and phones / e-mails as `tel:` /
// `mailto:` links only while that channel is allowed: the rule at fixed moments (a DST change,
// an Arizona lead), then the lead page as the LSP gets it now.
import { describe, expect, it } from 'vitest';
import { contactStatus, type ContactInput } from '../../web/app/utils/lead-contact.ts';
import { visibleText } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const PHONE = { raw: '(504) 555-0101', e164: '+15045550101', valid: true };
const EMAIL = { raw: 'pat@example.com', address: 'pat@example.com', valid: true };
const lead = (over: Partial<ContactInput> = {}): ContactInput => ({ phones: [PHONE], emails: [EMAIL], dnc: false, dne: false, timeZone: 'America/Phoenix', ...over });

describe('the calling rule on the lead’s clock', () => {
  it('keeps an Arizona lead on MST in summer: 8:30 PM there is callable while it is 10:30 PM in Chicago', () => {
    const s = contactStatus(lead(), { now: new Date('2026-07-15T03:30:00Z'), viewerZone: 'America/Chicago' });
    expect(s.callLine).toBe('8:30 PM MST for the lead, callable until 9:00 PM');
    expect(s.callableNow).toBe(true);
    expect(s.phones).toEqual([{ display: '+1 504-555-0101', href: 'tel:+15045550101', why: null }]);
  });

  it('stops at 9:00 PM Arizona time and says when the lead can be called again, on both clocks', () => {
    const s = contactStatus(lead(), { now: new Date('2026-07-15T04:30:00Z'), viewerZone: 'America/Chicago' });
    expect(s.callableNow).toBe(false);
    expect(s.callLine).toBe("9:30 PM MST for the lead: outside calling hours (8:00 AM to 9:00 PM); callable from Wed, Jul 15, 10:00 AM (lead's time 8:00 AM MST)");
    expect(s.phones[0]).toEqual({ display: '+1 504-555-0101', href: null, why: 'outside calling hours' });
    // E-mail is not bound to calling hours.
    expect(s.emails[0]!.href).toBe('mailto:pat@example.com');
  });

  it('counts the night the clocks go back: 1:30 AM EDT on Nov 1 waits until 8:00 AM EST, seven and a half hours later', () => {
    const ny = lead({ timeZone: 'America/New_York' });
    const s = contactStatus(ny, { now: new Date('2026-11-01T05:30:00Z'), viewerZone: 'America/New_York' });
    expect(s.callLine).toBe('1:30 AM EDT for the lead: outside calling hours (8:00 AM to 9:00 PM); callable from Sun, Nov 1, 8:00 AM');
    // Seen from Phoenix (no DST): 8:00 AM EST is 6:00 AM MST.
    const fromPhoenix = contactStatus(ny, { now: new Date('2026-11-01T05:30:00Z'), viewerZone: 'America/Phoenix' });
    expect(fromPhoenix.callLine).toContain("callable from Sun, Nov 1, 6:00 AM (lead's time 8:00 AM EST)");
    // And in the morning after the change, 8:10 AM EST is inside the window.
    expect(contactStatus(ny, { now: new Date('2026-11-01T13:10:00Z'), viewerZone: 'America/New_York' }).callLine).toBe('8:10 AM EST for the lead, callable until 9:00 PM');
  });

  it('gives no link for a DNC phone or a DNE address, inside calling hours too', () => {
    const s = contactStatus(lead({ dnc: true, dne: true }), { now: new Date('2026-07-15T18:00:00Z'), viewerZone: 'America/Chicago' });
    expect(s.callableNow).toBe(false);
    expect(s.callLine).toBe('Do Not Call: no calls to this lead (11:00 AM MST for the lead)');
    expect(s.phones[0]).toMatchObject({ href: null, why: 'Do Not Call' });
    expect(s.emails[0]).toMatchObject({ href: null, why: 'Do Not E-mail' });
  });

  it('without a known zone, calls only while it is inside the window on both coasts', () => {
    // 11:30 AM Eastern is 8:30 AM Pacific: inside on both.
    expect(contactStatus(lead({ timeZone: null }), { now: new Date('2026-07-15T15:30:00Z'), viewerZone: 'America/New_York' }).callableNow).toBe(true);
    // 10:30 AM Eastern is 7:30 AM Pacific: not yet.
    const early = contactStatus(lead({ timeZone: null }), { now: new Date('2026-07-15T14:30:00Z'), viewerZone: 'America/New_York' });
    expect(early.callableNow).toBe(false);
    expect(early.phones[0]!.href).toBeNull();
  });
});

/** A fixed-offset zone where the local hour is `hour` right now (Etc/GMT-N is UTC+N). */
function zoneAtHour(hour: number, now = new Date()): string {
  let n = (hour - now.getUTCHours() + 48) % 24;
  if (n > 12) n -= 24;
  return n === 0 ? 'Etc/GMT' : `Etc/GMT${n > 0 ? '-' : '+'}${Math.abs(n)}`;
}

const suite = demoWebSuite();

describe('contact links on the lead page', () => {
  async function alexsLeadPage(update: Record<string, unknown>) {
    const { knex } = suite.db;
    const alex = await knex('users').where({ username: 'lsp.alex' }).first('id');
    const lead = await knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').first('id');
    await knex('leads')
      .where({ id: lead.id })
      .update({ phones: JSON.stringify([PHONE]), emails: JSON.stringify([EMAIL]), dnc: false, dne: false, ...update });
    const client = suite.client();
    expect((await client.login('lsp.alex', 'alex-demo-pass')).status).toBe(302);
    return (await client.get(`/leads/${lead.id}`)).text;
  }

  it('links the phone and the e-mail while the lead is inside calling hours', async () => {
    const html = await alexsLeadPage({ time_zone: zoneAtHour(13) });
    expect(html).toContain('href="tel:+15045550101"');
    expect(html).toContain('href="mailto:pat@example.com"');
    // Etc/GMT (the lead's zone when it is 13:00 in UTC) is labelled UTC; the others GMT±n.
    expect(visibleText(html)).toMatch(/\d{1,2}:\d{2} PM (GMT[+-]?\d*|UTC) for the lead, callable until 9:00 PM/);
  });

  it('gives no tel: link outside the lead’s calling hours', async () => {
    const html = await alexsLeadPage({ time_zone: zoneAtHour(2) });
    expect(html).not.toContain('tel:');
    expect(html).toContain('href="mailto:pat@example.com"');
    expect(visibleText(html)).toContain('outside calling hours (8:00 AM to 9:00 PM); callable from');
  });

  it('gives no tel: link for a DNC lead, and no mailto: for a DNE one', async () => {
    const html = await alexsLeadPage({ time_zone: zoneAtHour(13), dnc: true, dne: true, dnc_reason: 'federal DNC list: +15045550101', dne_reason: 'account DNE list: pat@example.com' });
    expect(html).not.toContain('tel:');
    expect(html).not.toContain('mailto:');
    const text = visibleText(html);
    expect(text).toContain('Do Not Call: no calls to this lead');
    expect(text).toContain('+1 504-555-0101 (Do Not Call)');
  });
});
