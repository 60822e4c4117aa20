// One change of a lead's assignee: to whom (null: unassigned), by whom and why
// (migrations: assignments).
import { BaseModel, leadChildKeys, nullable, tableSchema, text, timestamp, uuid } from './base.ts';
import { User } from './user.ts';

export class Assignment extends BaseModel {
  static override tableName = 'assignments';
  id!: string;
  leadId!: string;
  accountId!: string;
  userId!: string | null;
  assignedByUserId!: string | null;
  reason!: string;
  createdAt!: Date;
  user?: User | null;
  assignedBy?: User | null;

  static override jsonSchema = tableSchema(['leadId', 'accountId', 'reason'], {
    ...leadChildKeys,
    userId: nullable(uuid),
    assignedByUserId: nullable(uuid),
    reason: text,
    createdAt: timestamp,
  });

  static override relationMappings = () => ({
    user: { relation: BaseModel.BelongsToOneRelation, modelClass: User, join: { from: 'assignments.user_id', to: 'users.id' } },
    assignedBy: { relation: BaseModel.BelongsToOneRelation, modelClass: User, join: { from: 'assignments.assigned_by_user_id', to: 'users.id' } },
  });
}
