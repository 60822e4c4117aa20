// My Leads without a reload: listens to /leads/live (server-sent events, one per lead newly
// assigned to the signed-in LSP), re-reads the page's list when one arrives and says which
// lead came. The EventSource reconnects by itself when a stream ends; it is closed when the
// page goes away.
import { Link, useRevalidator } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';

interface Arrival {
  leadId: string;
  name: string;
}

/** `after`: the newest assignment the page's list already shows (its loader's). */
export function LiveLeads({ after }: { after: string }) {
  const [arrivals, setArrivals] = useState<Arrival[]>([]);
  const revalidator = useRevalidator();
  // The revalidator changes with every re-read; the listener reads the current one.
  const current = useRef(revalidator);
  current.current = revalidator;
  // Only the first page view's id: afterwards the browser's Last-Event-ID carries on from the
  // last event, and a re-read of the page must not open a new stream.
  const start = useRef(after);
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(`/leads/live?${new URLSearchParams({ after: start.current })}`);
    source.addEventListener('assigned', (event) => {
      let arrival: Arrival;
      try {
        arrival = JSON.parse((event as MessageEvent<string>).data) as Arrival;
      } catch {
        return;
      }
      setArrivals((seen) => [arrival, ...seen.filter((a) => a.leadId !== arrival.leadId)].slice(0, 5));
      current.current.revalidate();
    });
    return () => source.close();
  }, []);
  if (!arrivals.length) return null;
  return (
    <p className="alert alert-ok" role="status" aria-live="polite">
      {arrivals.length === 1 ? 'New lead: ' : 'New leads: '}
      {arrivals.map((a, i) => (
        <span key={a.leadId}>
          {i ? ', ' : null}
          <Link to={`/leads/${a.leadId}`}>{a.name}</Link>
        </span>
      ))}{' '}
      <button type="button" className="button secondary small" onClick={() => setArrivals([])}>
        Dismiss
      </button>
    </p>
  );
}
