import type { ReactNode } from 'react';

export function FlagBadges({ dnc, dne, dnm }: { dnc: boolean; dne: boolean; dnm: boolean }) {
  return (
    <>
      {dnc ? <Badge tone="danger" title="Do not call">DNC</Badge> : null}
      {dne ? <Badge tone="danger" title="Do not e-mail">DNE</Badge> : null}
      {dnm ? <Badge tone="danger" title="Do not mail">DNM</Badge> : null}
    </>
  );
}

export function Badge({ children, tone = 'neutral', title }: { children: ReactNode; tone?: 'neutral' | 'danger' | 'ok' | 'warn'; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
      {title ? <span className="visually-hidden"> ({title})</span> : null}
    </span>
  );
}
