// An account's seats at a glance: in use, available, free, paid and the monthly cost (Users &
// Seats and Subscription show the same figures).
import type { SeatUsage } from '../../../db/seats.ts';
import { formatUsd } from '../utils/labels.ts';

export function SeatStats({ seats }: { seats: SeatUsage }) {
  return (
    <dl className="stats">
      <div>
        <dt>In use</dt>
        <dd>
          {seats.used} of {seats.total}
        </dd>
      </div>
      <div>
        <dt>Available</dt>
        <dd>{seats.available}</dd>
      </div>
      <div>
        <dt>Free seats</dt>
        <dd>{seats.free}</dd>
      </div>
      <div>
        <dt>Paid seats</dt>
        <dd>{seats.paid}</dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd>{formatUsd(seats.monthlyCostUsd)} / month</dd>
      </div>
    </dl>
  );
}
