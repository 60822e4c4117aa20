// One change of a lead's assignee: to whom (null: unassigned), by whom and why
// (migrations: assignments).
import { BaseModel, jsonObject, leadChildKeys, nullable, oneOf, tableSchema, text, timestamp, uuid } from './base.ts';
import { User } from './user.ts';

/** How an assignment was made (the assignments table's check constraint lists them). */
export const ASSIGNMENT_METHODS = ['manual', 'api', 'auto', 'claim', 'next', 'holding_period', 'deactivation'] as const;
export type AssignmentMethod = (typeof ASSIGNMENT_METHODS)[number];

/** An LSP's ledger at the moment auto-assign decided (db/distribution/auto-assign.ts). */
export interface LedgerAtDecision {
  userId: string;
  name: string;
  target: number;
  followUpsDue: number;
  newAssigned: number;
  capacityLeft: number;
}

/** Why auto-assign gave a lead to its LSP: stored with the assignment, shown on the lead page. */
export interface AutoAssignDetail {
  kind: 'auto';
  /** The lead's place in the queue: its segment's priority and its place in that pass. */
  rank: { segment: string | null; priority: number; position: number; arrivedAt: string };
  /** Before this lead was counted. */
  chosen: LedgerAtDecision;
  /** Every other active LSP of the account, and why they did not get it. */
  others: Array<LedgerAtDecision & { eligible: boolean; why: string }>;
  trigger: string;
}

export class Assignment extends BaseModel {
  static override tableName = 'assignments';
  id!: string;
  leadId!: string;
  accountId!: string;
  userId!: string | null;
  assignedByUserId!: string | null;
  reason!: string;
  method!: AssignmentMethod;
  detail!: AutoAssignDetail | Record<string, unknown> | null;
  createdAt!: Date;
  user?: User | null;
  assignedBy?: User | null;

  static override jsonSchema = tableSchema(['leadId', 'accountId', 'reason'], {
    ...leadChildKeys,
    userId: nullable(uuid),
    assignedByUserId: nullable(uuid),
    reason: text,
    method: oneOf(ASSIGNMENT_METHODS),
    detail: nullable(jsonObject),
    createdAt: timestamp,
  });

  static override jsonAttributes = ['detail'];

  static override relationMappings = () => ({
    user: { relation: BaseModel.BelongsToOneRelation, modelClass: User, join: { from: 'assignments.user_id', to: 'users.id' } },
    assignedBy: { relation: BaseModel.BelongsToOneRelation, modelClass: User, join: { from: 'assignments.assigned_by_user_id', to: 'users.id' } },
  });
}
