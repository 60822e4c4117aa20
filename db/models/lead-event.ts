// One entry of a lead's history: what happened, who or what did it, and the idempotency key a
// workflow activity recorded it under (migrations: lead_events).
import { BaseModel, jsonObject, leadChildKeys, nullable, tableSchema, text, timestamp, uuid } from './base.ts';
import { User } from './user.ts';

export class LeadEvent extends BaseModel {
  static override tableName = 'lead_events';
  id!: string;
  leadId!: string;
  accountId!: string;
  actorUserId!: string | null;
  /** The system part that acted when no user did (`lead-workflow`, `intake`, …). */
  actorSystem!: string | null;
  type!: string;
  note!: string | null;
  data!: Record<string, unknown>;
  createdAt!: Date;
  idempotencyKey!: string | null;
  actor?: User | null;

  static override jsonAttributes = ['data'];

  static override jsonSchema = tableSchema(['leadId', 'accountId', 'type'], {
    ...leadChildKeys,
    actorUserId: nullable(uuid),
    actorSystem: nullable(text),
    type: text,
    note: nullable(text),
    data: jsonObject,
    createdAt: timestamp,
    idempotencyKey: nullable(text),
  });

  static override relationMappings = () => ({
    actor: { relation: BaseModel.BelongsToOneRelation, modelClass: User, join: { from: 'lead_events.actor_user_id', to: 'users.id' } },
  });
}
