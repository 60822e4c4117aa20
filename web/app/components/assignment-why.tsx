// The lead page's "Why is this lead Alex's?" panel (utils/assignment-why.server.ts reads it):
// how the current assignment was decided, when, why, and for auto-assign and Next the lead's
// rank and the LSP's day at that moment; for auto-assign, every other LSP and why not them.
import type { AssignmentWhy } from '../utils/assignment-why.server.ts';
import { Time } from './time.tsx';

type Why = Omit<AssignmentWhy, 'at'> & { at: Date | string };

export function AssignmentWhyPanel({ why }: { why: Why }) {
  return (
    <section className="card" aria-labelledby="lead-why">
      <h2 id="lead-why">Why is this lead {why.holder}'s?</h2>
      <dl className="facts">
        <dt>How</dt>
        <dd>{why.method}</dd>
        <dt>When</dt>
        <dd>
          <Time value={why.at} />
        </dd>
        <dt>Reason</dt>
        <dd>{why.reason}</dd>
        {why.rank ? (
          <>
            <dt>Lead's rank</dt>
            <dd>{why.rank}</dd>
          </>
        ) : null}
        {why.ledger ? (
          <>
            <dt>{why.holder}'s day then</dt>
            <dd>{why.ledger}</dd>
          </>
        ) : null}
      </dl>
      {why.others.length ? (
        <table className="data-table">
          <caption className="visually-hidden">The other LSPs when it was decided</caption>
          <thead>
            <tr>
              <th scope="col">Other LSP</th>
              <th scope="col">Eligible</th>
              <th scope="col">Why not them</th>
              <th scope="col">Their day then</th>
            </tr>
          </thead>
          <tbody>
            {why.others.map((o, i) => (
              <tr key={i}>
                <td data-label="Other LSP">{o.name}</td>
                <td data-label="Eligible">{o.eligible ? 'Yes' : 'No'}</td>
                <td data-label="Why not them">{o.why}</td>
                <td data-label="Their day then">{o.ledger}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
