// The reports' charts, drawn with visx as plain SVG: the server renders them into the page (no
// script needed to see them), and each scales to the width it has, so it reads on a phone.
// Every chart says what it shows in words too (its caption and the SVG's label), and the
// report's table below it has the exact figures.
import { AxisBottom, AxisLeft } from '@visx/axis';
import { Group } from '@visx/group';
import { scaleBand, scaleLinear } from '@visx/scale';
import { Bar } from '@visx/shape';
import type { ReactNode } from 'react';

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h": a duration as people say it. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

const WIDTH = 360;
const BLUES = ['#1f5fbf', '#4a86d8', '#82aee8', '#bcd3f3'];
const PALETTE = ['#1f5fbf', '#d9822b', '#16794a', '#8e44ad', '#c0392b', '#2c8c99', '#7f8c8d', '#b7950b'];
const TEXT = { fontSize: 12, fill: '#1d2330', fontFamily: 'system-ui, sans-serif' } as const;

function ChartFrame({ title, label, legend, children, height }: { title: string; label: string; legend?: ReactNode; children: ReactNode; height: number }) {
  return (
    <figure className="card" style={{ margin: '0 0 1rem', padding: '0.75rem' }}>
      <figcaption style={{ fontWeight: 600, marginBottom: '0.5rem' }}>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width="100%" style={{ maxWidth: 720, height: 'auto', display: 'block' }} role="img" aria-label={label}>
        {children}
      </svg>
      {legend}
    </figure>
  );
}

function Legend({ items }: { items: Array<{ label: string; color: string }> }) {
  return (
    <ul className="plain" style={{ display: 'flex', flexWrap: 'wrap', gap: '0.25rem 1rem', fontSize: '0.85rem', marginTop: '0.5rem' }}>
      {items.map((i) => (
        <li key={i.label} style={{ border: 0, padding: 0, display: 'flex', alignItems: 'center', gap: '0.35rem' }}>
          <span aria-hidden="true" style={{ display: 'inline-block', width: 12, height: 12, background: i.color, borderRadius: 2 }} />
          {i.label}
        </li>
      ))}
    </ul>
  );
}

export interface FunnelRow {
  source: string;
  label: string;
  leads: number;
  contacted: number;
  quoted: number;
  sold: number;
}

const FUNNEL_STAGES = [
  { key: 'leads', label: 'Leads' },
  { key: 'contacted', label: 'Contacted' },
  { key: 'quoted', label: 'Quoted' },
  { key: 'sold', label: 'Sold' },
] as const;

/** Per source, leads and how many of them were contacted, quoted and sold: one short bar each. */
export function FunnelChart({ rows }: { rows: FunnelRow[] }) {
  if (!rows.length) return null;
  const bar = 13;
  const group = 20 + FUNNEL_STAGES.length * (bar + 2) + 10;
  const height = rows.length * group;
  const left = 4;
  const right = 44;
  const x = scaleLinear<number>({ domain: [0, Math.max(1, ...rows.map((r) => r.leads))], range: [0, WIDTH - left - right] });
  const label = rows.map((r) => `${r.label}: ${r.leads} lead${r.leads === 1 ? '' : 's'}, ${r.contacted} contacted, ${r.quoted} quoted, ${r.sold} sold`).join('; ');
  return (
    <ChartFrame title="Funnel by source" label={label} height={height} legend={<Legend items={FUNNEL_STAGES.map((s, i) => ({ label: s.label, color: BLUES[i]! }))} />}>
      {rows.map((r, gi) => (
        <Group key={r.source} top={gi * group} left={left}>
          <text x={0} y={14} {...TEXT} fontWeight={600}>
            {r.label}
          </text>
          {FUNNEL_STAGES.map((s, i) => {
            const value = r[s.key];
            const w = Math.max(value ? 2 : 0, x(value));
            const y = 20 + i * (bar + 2);
            return (
              <Group key={s.key}>
                <Bar x={0} y={y} width={w} height={bar} fill={BLUES[i]} rx={2} />
                <text x={w + 4} y={y + bar - 2} {...TEXT} fontSize={11}>
                  {value}
                </text>
              </Group>
            );
          })}
        </Group>
      ))}
    </ChartFrame>
  );
}

export interface SpeedRow {
  source: string;
  label: string;
  /** Seconds. */
  p50: number | null;
  p90: number | null;
}

/** Per source, the median and 90th percentile time from a lead's arrival to its first Quick Action. */
export function SpeedChart({ rows }: { rows: SpeedRow[] }) {
  const shown = rows.filter((r) => r.p50 !== null);
  if (!shown.length) return null;
  const bar = 14;
  const group = 20 + 2 * (bar + 2) + 10;
  const axis = 24;
  const height = shown.length * group + axis;
  const left = 4;
  const right = 64;
  const max = Math.max(1, ...shown.map((r) => r.p90 ?? r.p50 ?? 0));
  const x = scaleLinear<number>({ domain: [0, max], range: [0, WIDTH - left - right], nice: true });
  const label = shown.map((r) => `${r.label}: median ${formatDuration(r.p50)}, 90th percentile ${formatDuration(r.p90)}`).join('; ');
  return (
    <ChartFrame
      title="Speed to first attempt"
      label={label}
      height={height}
      legend={
        <Legend
          items={[
            { label: 'Median', color: BLUES[0]! },
            { label: '90th percentile', color: BLUES[2]! },
          ]}
        />
      }
    >
      {shown.map((r, gi) => (
        <Group key={r.source} top={gi * group} left={left}>
          <text x={0} y={14} {...TEXT} fontWeight={600}>
            {r.label}
          </text>
          {[r.p50, r.p90].map((v, i) => {
            const w = Math.max(v ? 2 : 0, x(v ?? 0));
            const y = 20 + i * (bar + 2);
            return (
              <Group key={i}>
                <Bar x={0} y={y} width={w} height={bar} fill={BLUES[i * 2]} rx={2} />
                <text x={w + 4} y={y + bar - 3} {...TEXT} fontSize={11}>
                  {formatDuration(v)}
                </text>
              </Group>
            );
          })}
        </Group>
      ))}
      <AxisBottom top={shown.length * group} left={left} scale={x} numTicks={3} tickFormat={(v) => formatDuration(Number(v))} tickLabelProps={() => ({ ...TEXT, fontSize: 10, textAnchor: 'middle' })} />
    </ChartFrame>
  );
}

export interface UserDay {
  user: string;
  day: string;
  actions: number;
}

const shortDay = (day: string) => new Date(`${day}T12:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Quick Actions per day, one stacked colour per user, over every day of the range. */
export function ActionsPerDayChart({ days, data }: { days: string[]; data: UserDay[] }) {
  if (!data.length || !days.length) return null;
  const users = [...new Set(data.map((d) => d.user))].sort((a, b) => a.localeCompare(b));
  const color = (u: string) => PALETTE[users.indexOf(u) % PALETTE.length]!;
  const byDay = new Map<string, Map<string, number>>();
  for (const d of data) {
    const m = byDay.get(d.day) ?? new Map<string, number>();
    m.set(d.user, (m.get(d.user) ?? 0) + d.actions);
    byDay.set(d.day, m);
  }
  const totals = days.map((day) => [...(byDay.get(day)?.values() ?? [])].reduce((a, b) => a + b, 0));
  const margin = { top: 8, right: 8, bottom: 24, left: 32 };
  const height = 200;
  const innerW = WIDTH - margin.left - margin.right;
  const innerH = height - margin.top - margin.bottom;
  const x = scaleBand<string>({ domain: days, range: [0, innerW], padding: 0.2 });
  const y = scaleLinear<number>({ domain: [0, Math.max(1, ...totals)], range: [innerH, 0], nice: true });
  const every = Math.max(1, Math.ceil(days.length / 5));
  const busiest = days[totals.indexOf(Math.max(...totals))];
  const label = `Quick Actions per day by ${users.length} user${users.length === 1 ? '' : 's'}, ${totals.reduce((a, b) => a + b, 0)} in all; the busiest day ${busiest ? shortDay(busiest) : ''} with ${Math.max(...totals)}`;
  return (
    <ChartFrame title="Quick Actions per user per day" label={label} height={height} legend={<Legend items={users.map((u) => ({ label: u, color: color(u) }))} />}>
      <Group left={margin.left} top={margin.top}>
        {days.map((day) => {
          let base = innerH;
          return users.map((u) => {
            const n = byDay.get(day)?.get(u) ?? 0;
            if (!n) return null;
            const h = innerH - y(n);
            base -= h;
            return <Bar key={`${day}-${u}`} x={x(day)} y={base} width={x.bandwidth()} height={h} fill={color(u)} />;
          });
        })}
        <AxisLeft scale={y} numTicks={4} tickFormat={(v) => String(v)} tickLabelProps={() => ({ ...TEXT, fontSize: 10, textAnchor: 'end', dx: -2, dy: 3 })} />
        <AxisBottom
          top={innerH}
          scale={x}
          tickValues={days.filter((_, i) => i % every === 0)}
          tickFormat={(d) => shortDay(String(d))}
          tickLabelProps={() => ({ ...TEXT, fontSize: 10, textAnchor: 'middle' })}
        />
      </Group>
    </ChartFrame>
  );
}
