// How to reach the lead now: the lead's clock and whether a call is allowed (utils/lead-contact.ts
// decides), and the phones and e-mail addresses, as links only while that channel is allowed.
import type { ContactChannel, ContactStatus } from '../utils/lead-contact.ts';

function Channels({ items, empty }: { items: ContactChannel[]; empty: string }) {
  if (!items.length) return <>{empty}</>;
  return (
    <>
      {items.map((c, i) => (
        <div key={i}>
          {c.href ? <a href={c.href}>{c.display}</a> : <span>{c.display}</span>}
          {c.why ? <span className="muted"> ({c.why})</span> : null}
        </div>
      ))}
    </>
  );
}

/** The contact rows of the lead's details (inside its `<dl>`). */
export function LeadContactFacts({ contact }: { contact: ContactStatus }) {
  return (
    <>
      <dt>Call now?</dt>
      <dd className={contact.callableNow ? 'contact-ok' : 'contact-no'}>{contact.callLine}</dd>
      <dt>Phone</dt>
      <dd>
        <Channels items={contact.phones} empty="—" />
      </dd>
      <dt>E-mail</dt>
      <dd>
        <Channels items={contact.emails} empty="—" />
      </dd>
    </>
  );
}
