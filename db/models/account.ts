// An account: one agency, with its agent IDs, seats and settings (migrations: accounts).
import { BaseModel, boolean, integer, nullable, tableSchema, text, textArray, timestamp, uuid } from './base.ts';

export class Account extends BaseModel {
  static override tableName = 'accounts';
  id!: string;
  name!: string;
  /** An agency may combine several agent IDs; the owner's username is the first. */
  agentIds!: string[];
  /** LSPs also see (and work) the unassigned leads. */
  sharkTank!: boolean;
  paidSeats!: number;
  eagentEnabled!: boolean;
  eagentUrl!: string | null;
  /**
   * The milestone that transfers a lead to eAgent. My Company checks it only while the
   * integration is on, and the column takes any text, so it is not narrowed to a Milestone.
   */
  eagentMilestone!: string | null;
  /** IANA zone: what "today" is for targets and Due today, and how times are shown. */
  timeZone!: string;
  /** When the workday starts, in minutes after local midnight. */
  workdayStartMinutes!: number;
  /** States the agency is licensed in: a new LSP starts with these. */
  licensedStates!: string[];
  /** Days an assigned lead may go without a Quick Action before it returns to the pool; null: off. */
  holdingDays!: number | null;
  /** Where an Appointment / Call Back is e-mailed (the agency's appointment desk); null: nobody. */
  appointmentDeskEmail!: string | null;
  createdAt!: Date;
  updatedAt!: Date;

  static override jsonSchema = tableSchema(['name', 'agentIds'], {
    id: uuid,
    name: text,
    agentIds: textArray,
    sharkTank: boolean,
    paidSeats: integer,
    eagentEnabled: boolean,
    eagentUrl: nullable(text),
    eagentMilestone: nullable(text),
    timeZone: text,
    workdayStartMinutes: integer,
    licensedStates: textArray,
    holdingDays: nullable(integer),
    appointmentDeskEmail: nullable(text),
    createdAt: timestamp,
    updatedAt: timestamp,
  });
}
