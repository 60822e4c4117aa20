// The agency's activity as it happens: the entries the page loaded, newest first, and every
// entry /activity/live sends afterwards put on top without a reload. The EventSource reconnects
// by itself when a stream ends; it is closed when the page goes away.
import { Link } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';
// A type only: erased from the browser bundle.
import type { ActivityEntry as ActivityItem } from '../utils/live-activity.server.ts';
import { Time } from './time.tsx';

/** Entries kept on the page: the oldest fall off as new ones come. */
const KEEP = 200;

export function LiveActivity({ initial, after }: { initial: ActivityItem[]; after: string }) {
  const [items, setItems] = useState(initial);
  const [live, setLive] = useState(false);
  // Only the first page view's id: afterwards the browser's Last-Event-ID carries on.
  const start = useRef(after);
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(`/activity/live?${new URLSearchParams({ after: start.current })}`);
    source.addEventListener('open', () => setLive(true));
    source.addEventListener('error', () => setLive(false));
    source.addEventListener('activity', (event) => {
      let item: ActivityItem;
      try {
        item = JSON.parse((event as MessageEvent<string>).data) as ActivityItem;
      } catch {
        return;
      }
      setItems((seen) => (seen.some((s) => s.id === item.id) ? seen : [item, ...seen].slice(0, KEEP)));
    });
    return () => source.close();
  }, []);
  return (
    <>
      <p className="muted" role="status" data-testid="live-state">
        {live ? 'Live: new activity appears at the top as it happens.' : 'Connecting…'}
      </p>
      {items.length ? (
        <ol className="activity-feed" aria-live="polite" aria-relevant="additions">
          {items.map((item) => (
            <li key={item.id} data-testid="activity-entry">
              <span className="muted">
                <Time value={item.at} />
              </span>{' '}
              <Link to={`/leads/${item.leadId}`}>{item.leadName}</Link>: {item.text}
              {item.note ? <q className="muted"> {item.note}</q> : null}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">Nothing has happened yet.</p>
      )}
    </>
  );
}
