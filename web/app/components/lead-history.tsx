// The lead's history, newest first, each entry in words (utils/lead-history.ts) with its time on
// the viewer's clock and a note a person wrote beside it.
import { Time } from './time.tsx';

export interface LeadHistoryEntry {
  id: string;
  createdAt: Date | string;
  text: string;
  note: string | null;
}

export function LeadHistory({ entries }: { entries: LeadHistoryEntry[] }) {
  return (
    <section className="card" aria-labelledby="lead-history">
      <h2 id="lead-history">History</h2>
      {entries.length ? (
        <ol className="timeline">
          {entries.map((e) => (
            <li key={e.id}>
              <span className="timeline-when">
                <Time value={e.createdAt} />
              </span>
              <span className="timeline-what">
                {e.text}
                {e.note ? (
                  <>
                    <br />
                    <q className="timeline-note">{e.note}</q>
                  </>
                ) : null}
              </span>
            </li>
          ))}
        </ol>
      ) : (
        <p className="empty">No history yet.</p>
      )}
    </section>
  );
}
