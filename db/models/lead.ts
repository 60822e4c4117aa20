// A lead: one person at one address in one account, with what intake cleaned and what the lead
// workflow decided about them (migrations: leads). Its history, source touches and assignments
// are related rows of the same account.
import type { Milestone } from '../../workflows/lead/quick-actions.ts';
import { SEGMENTS, type Segment } from '../../workflows/lead/segment.ts';
import { LEAD_STATUSES, type LeadStatus } from '../../workflows/lead/state.ts';
import { Assignment } from './assignment.ts';
import { BaseModel, boolean, jsonArray, nullable, oneOf, tableSchema, text, timestamp, uuid } from './base.ts';
import { LeadEvent } from './lead-event.ts';
import { LeadSourceTouch } from './lead-source-touch.ts';
import { User } from './user.ts';

/** A phone as intake cleaned it (the `phones` jsonb). */
export interface PhoneEntry {
  raw: string;
  e164: string | null;
  valid: boolean;
}
/** An e-mail address as intake cleaned it (the `emails` jsonb). */
export interface EmailEntry {
  raw: string;
  address: string | null;
  valid: boolean;
}

/** P: a prospect; C: a current customer (as the leads table's check constraint lists them). */
export const LEAD_KINDS = ['P', 'C'] as const;
export type LeadKind = (typeof LEAD_KINDS)[number];

// Children join on the lead's id and its account: a row another account wrote under this
// lead's id is never part of the lead.
const child = (table: string) => ({ from: ['leads.id', 'leads.account_id'], to: [`${table}.lead_id`, `${table}.account_id`] });

export class Lead extends BaseModel {
  static override tableName = 'leads';
  id!: string;
  accountId!: string;
  firstName!: string;
  lastName!: string;
  addressLine1!: string;
  addressLine2!: string | null;
  city!: string;
  state!: string;
  zip!: string;
  phones!: PhoneEntry[];
  emails!: EmailEntry[];
  /** First + last name + address, folded (workflows/lead/dedupe.ts): one person. */
  dupKey!: string;
  /** As received: a source Leadflow does not know is kept too (it gets no cadence). */
  source!: string;
  importName!: string | null;
  importId!: string | null;
  kind!: LeadKind;
  dnc!: boolean;
  dncAt!: Date | null;
  dncReason!: string | null;
  dne!: boolean;
  dneAt!: Date | null;
  dneReason!: string | null;
  dnm!: boolean;
  dnmAt!: Date | null;
  dnmReason!: string | null;
  timeZone!: string | null;
  segment!: Segment | null;
  status!: LeadStatus;
  /** Written only by intake ('new') and the lead workflow; the column has no check constraint. */
  milestone!: Milestone;
  assignedUserId!: string | null;
  nextFollowUpAt!: Date | null;
  /** The booked call-back (the latest Appointment / Call Back), kept from the history by a trigger. */
  callBackAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
  recycledAt!: Date | null;
  scrubbedAt!: Date | null;
  /** When the last E-mail Confirmed e-mail went out. */
  emailConfirmedAt!: Date | null;
  /** When the appointment desk was last told of an appointment. */
  appointmentMadeAt!: Date | null;
  assignee?: User | null;
  events?: LeadEvent[];
  touches?: LeadSourceTouch[];
  assignments?: Assignment[];

  static override jsonAttributes = ['phones', 'emails'];

  static override jsonSchema = tableSchema(['accountId', 'firstName', 'lastName', 'dupKey', 'source'], {
    id: uuid,
    accountId: uuid,
    firstName: text,
    lastName: text,
    addressLine1: text,
    addressLine2: nullable(text),
    city: text,
    state: text,
    zip: text,
    phones: jsonArray,
    emails: jsonArray,
    dupKey: text,
    source: text,
    importName: nullable(text),
    importId: nullable(uuid),
    kind: oneOf(LEAD_KINDS),
    dnc: boolean,
    dncAt: nullable(timestamp),
    dncReason: nullable(text),
    dne: boolean,
    dneAt: nullable(timestamp),
    dneReason: nullable(text),
    dnm: boolean,
    dnmAt: nullable(timestamp),
    dnmReason: nullable(text),
    timeZone: nullable(text),
    segment: nullable(oneOf(SEGMENTS)),
    status: oneOf(LEAD_STATUSES),
    milestone: text,
    assignedUserId: nullable(uuid),
    nextFollowUpAt: nullable(timestamp),
    callBackAt: nullable(timestamp),
    createdAt: timestamp,
    updatedAt: timestamp,
    recycledAt: nullable(timestamp),
    scrubbedAt: nullable(timestamp),
    emailConfirmedAt: nullable(timestamp),
    appointmentMadeAt: nullable(timestamp),
  });

  static override relationMappings = () => ({
    assignee: { relation: BaseModel.BelongsToOneRelation, modelClass: User, join: { from: 'leads.assigned_user_id', to: 'users.id' } },
    events: { relation: BaseModel.HasManyRelation, modelClass: LeadEvent, join: child('lead_events') },
    touches: { relation: BaseModel.HasManyRelation, modelClass: LeadSourceTouch, join: child('lead_source_touches') },
    assignments: { relation: BaseModel.HasManyRelation, modelClass: Assignment, join: child('assignments') },
  });
}
