import type React from 'react';
import { Link } from '@remix-run/react';
import { milestoneLabel, sourceLabel, statusLabel } from '../utils/labels.ts';
import { FlagBadges } from './badges.tsx';
import type { Lead } from '../../../db/models/index.ts';
import { Time } from './time.tsx';

/** The lead properties a row of the table shows (the list query selects these). */
export const LEAD_LIST_PROPERTIES = [
  'id',
  'firstName',
  'lastName',
  'city',
  'state',
  'source',
  'importName',
  'kind',
  'dnc',
  'dne',
  'dnm',
  'status',
  'milestone',
  'nextFollowUpAt',
  'createdAt',
] as const satisfies ReadonlyArray<keyof Lead>;

/** `nextCallBackAt`: the booked call-back while it is ahead (leads.call_back_at), else null. */
export type LeadTableRow = Pick<Lead, (typeof LEAD_LIST_PROPERTIES)[number]> & { assigneeName: string | null; nextCallBackAt: Date | null };

// The same list as db/leads/closing.ts's CLOSING_MILESTONES, kept here so the browser bundle
// does not load the database module.
const CLOSING = new Set(['not_interested', 'sold', 'bad_contact_info', 'do_not_contact']);

export type SortableColumn = 'name' | 'milestone' | 'follow_up' | 'created';

/**
 * Leads as a table on wide screens and as stacked cards on phones (styles.css, data-label).
 * `header` renders each sortable column heading, so the list page can make them links.
 * `selectForm` adds a checkbox per row (`leadId`), owned by the form with that id: the form
 * sits outside the table, and the HTML `form` attribute ties the boxes to it.
 * `canReopen` links each closed lead to its reopen page (owners and admins).
 */
export function LeadTable({
  leads,
  header,
  caption,
  selectForm,
  canReopen,
  sourceLabels,
}: {
  leads: LeadTableRow[];
  header?: (column: SortableColumn, label: string) => React.ReactNode;
  caption: string;
  selectForm?: string;
  canReopen?: boolean;
  /** The account's source labels (its catalogue); without them the built-in labels. */
  sourceLabels?: Record<string, string>;
}) {
  const th = (column: SortableColumn, label: string) => (header ? header(column, label) : <th scope="col">{label}</th>);
  return (
    <div className="table-wrap">
      <table className="data-table lead-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {selectForm ? (
              <th scope="col">
                <span className="visually-hidden">Select</span>
              </th>
            ) : null}
            {th('name', 'Name')}
            <th scope="col">Source</th>
            <th scope="col">Status</th>
            {th('milestone', 'Milestone')}
            <th scope="col">Assignee</th>
            {th('follow_up', 'Next follow-up')}
            <th scope="col">Next call-back</th>
            {th('created', 'Created')}
            <th scope="col">Flags</th>
          </tr>
        </thead>
        <tbody>
          {leads.map((lead) => (
            <tr key={lead.id}>
              {selectForm ? (
                <td data-label="Select">
                  <input type="checkbox" name="leadId" value={lead.id} form={selectForm} aria-label={`Select ${lead.firstName} ${lead.lastName}`} />
                </td>
              ) : null}
              <td data-label="Name">
                <Link to={`/leads/${lead.id}`} className="lead-name">
                  {lead.lastName}, {lead.firstName}
                </Link>
                <span className="muted small-text">
                  {' '}
                  {[lead.city, lead.state].filter(Boolean).join(', ')}
                </span>
              </td>
              <td data-label="Source">
                {sourceLabel(lead.source, sourceLabels)}
                {lead.importName ? <span className="muted small-text"> · {lead.importName}</span> : null}
              </td>
              <td data-label="Status">{statusLabel(lead.status)}</td>
              <td data-label="Milestone">
                {milestoneLabel(lead.milestone)}
                {CLOSING.has(lead.milestone) ? (
                  <>
                    {' '}
                    <span className="badge badge-neutral">Closed</span>
                  </>
                ) : null}
                {canReopen && CLOSING.has(lead.milestone) ? (
                  <>
                    {' '}
                    <Link to={`/leads/${lead.id}/reopen`} className="small-text">
                      Reopen
                    </Link>
                  </>
                ) : null}
              </td>
              <td data-label="Assignee">{lead.assigneeName ?? <span className="muted">Unassigned</span>}</td>
              <td data-label="Next follow-up">{lead.nextFollowUpAt ? <Time value={lead.nextFollowUpAt} /> : <span className="muted">—</span>}</td>
              <td data-label="Next call-back">{lead.nextCallBackAt ? <Time value={lead.nextCallBackAt} /> : <span className="muted">—</span>}</td>
              <td data-label="Created"><Time value={lead.createdAt} /></td>
              <td data-label="Flags">
                <span className={`badge badge-${lead.kind === 'C' ? 'ok' : 'neutral'}`} title={lead.kind === 'C' ? 'Current customer' : 'Prospect'}>
                  {lead.kind}
                </span>
                <FlagBadges dnc={lead.dnc} dne={lead.dne} dnm={lead.dnm} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
