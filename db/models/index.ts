// Thin objection models: table, columns as typed fields, relations. Rows come back camelCase;
// query identifiers stay snake_case (`.where('account_id', id)`). Queries always pass the
// knex or transaction to use (`Lead.query(db)`), so nothing depends on a global binding.
import type { Model } from 'objection';
import { BaseModel } from './base.ts';

export type Role = 'owner' | 'admin' | 'lsp' | 'support';
export type UserStatus = 'active' | 'inactive';
export type LeadStatus = 'new' | 'active' | 'recycled' | 'archived' | 'removed';
export type Segment = 'highly_engaged' | 'engaged' | 'cold';

export interface PhoneEntry {
  raw: string;
  e164: string | null;
  valid: boolean;
}
export interface EmailEntry {
  raw: string;
  address: string | null;
  valid: boolean;
}

export class Account extends BaseModel {
  static override tableName = 'accounts';
  id!: string;
  name!: string;
  agentIds!: string[];
  sharkTank!: boolean;
  paidSeats!: number;
  eagentEnabled!: boolean;
  eagentUrl!: string | null;
  eagentMilestone!: string | null;
  createdAt!: Date;
  updatedAt!: Date;

  static override get jsonSchema() {
    return {
      type: 'object',
      required: ['name', 'agentIds'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 200 },
        agentIds: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        paidSeats: { type: 'integer', minimum: 0 },
      },
    };
  }
}

export class User extends BaseModel {
  static override tableName = 'users';
  id!: string;
  accountId!: string;
  username!: string;
  email!: string;
  name!: string;
  role!: Role;
  status!: UserStatus;
  passwordHash!: string;
  mustChangePassword!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
  account?: Account;

  static override get jsonSchema() {
    return {
      type: 'object',
      required: ['accountId', 'username', 'email', 'name', 'role', 'passwordHash'],
      properties: {
        username: { type: 'string', minLength: 1, maxLength: 100 },
        email: { type: 'string', minLength: 3, maxLength: 320 },
        name: { type: 'string', minLength: 1, maxLength: 200 },
        role: { enum: ['owner', 'admin', 'lsp', 'support'] },
        status: { enum: ['active', 'inactive'] },
      },
    };
  }

  static override get relationMappings() {
    return {
      account: { relation: BaseModel.BelongsToOneRelation, modelClass: Account, join: { from: 'users.account_id', to: 'accounts.id' } },
    };
  }

  /** What may leave the server about a user (never the password hash). */
  toPublic() {
    return { id: this.id, username: this.username, email: this.email, name: this.name, role: this.role, status: this.status };
  }
}

export class PasswordResetToken extends BaseModel {
  static override tableName = 'password_reset_tokens';
  id!: string;
  userId!: string;
  tokenHash!: string;
  expiresAt!: Date;
  usedAt!: Date | null;
  createdAt!: Date;
}

export class ApiKey extends BaseModel {
  static override tableName = 'api_keys';
  id!: string;
  accountId!: string;
  name!: string;
  prefix!: string;
  keyHash!: string;
  createdAt!: Date;
  revokedAt!: Date | null;
}

export class Import extends BaseModel {
  static override tableName = 'imports';
  id!: string;
  accountId!: string;
  name!: string;
  fileName!: string | null;
  status!: 'pending' | 'running' | 'done' | 'failed';
  totalRows!: number;
  okRows!: number;
  errorRows!: number;
  createdBy!: string | null;
  createdAt!: Date;
  finishedAt!: Date | null;
}

export class ImportRowError extends BaseModel {
  static override tableName = 'import_row_errors';
  id!: number;
  importId!: string;
  lineNumber!: number;
  reason!: string;
  raw!: string | null;
}

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
  dupKey!: string;
  source!: string;
  importName!: string | null;
  importId!: string | null;
  kind!: 'P' | 'C';
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
  milestone!: string;
  assignedUserId!: string | null;
  nextFollowUpAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
  recycledAt!: Date | null;
  assignee?: User | null;
  events?: LeadEvent[];

  static override get jsonAttributes() {
    return ['phones', 'emails'];
  }

  static override get relationMappings() {
    return {
      assignee: { relation: BaseModel.BelongsToOneRelation, modelClass: User, join: { from: 'leads.assigned_user_id', to: 'users.id' } },
      events: { relation: BaseModel.HasManyRelation, modelClass: LeadEvent, join: { from: 'leads.id', to: 'lead_events.lead_id' } },
      touches: { relation: BaseModel.HasManyRelation, modelClass: LeadSourceTouch, join: { from: 'leads.id', to: 'lead_source_touches.lead_id' } },
    };
  }
}

export class LeadEvent extends BaseModel {
  static override tableName = 'lead_events';
  id!: number;
  leadId!: string;
  accountId!: string;
  actorUserId!: string | null;
  actorSystem!: string | null;
  type!: string;
  note!: string | null;
  data!: Record<string, unknown>;
  idempotencyKey!: string | null;
  createdAt!: Date;
  actor?: User | null;

  static override get jsonAttributes() {
    return ['data'];
  }

  static override get relationMappings() {
    return {
      actor: { relation: BaseModel.BelongsToOneRelation, modelClass: User, join: { from: 'lead_events.actor_user_id', to: 'users.id' } },
    };
  }
}

export class LeadSourceTouch extends BaseModel {
  static override tableName = 'lead_source_touches';
  id!: number;
  leadId!: string;
  accountId!: string;
  source!: string;
  importName!: string | null;
  payload!: Record<string, unknown>;
  receivedAt!: Date;

  static override get jsonAttributes() {
    return ['payload'];
  }
}

export class WorkflowTemplate extends BaseModel {
  static override tableName = 'workflow_templates';
  id!: string;
  accountId!: string;
  key!: string;
  name!: string;
  enabled!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

export class SuppressionEntry extends BaseModel {
  static override tableName = 'suppression_entries';
  id!: number;
  accountId!: string | null;
  list!: 'dnc' | 'dne' | 'dnm' | 'customer';
  value!: string;
  source!: 'federal' | 'internal' | 'upload';
  reason!: string | null;
  createdAt!: Date;
}

export class EmailOutbox extends BaseModel {
  static override tableName = 'email_outbox';
  id!: string;
  accountId!: string | null;
  idempotencyKey!: string;
  toAddress!: string;
  subject!: string;
  bodyText!: string;
  bodyHtml!: string | null;
  status!: 'pending' | 'sent' | 'failed';
  attempts!: number;
  lastError!: string | null;
  createdAt!: Date;
  sentAt!: Date | null;
}

export class Assignment extends BaseModel {
  static override tableName = 'assignments';
  id!: number;
  leadId!: string;
  accountId!: string;
  userId!: string | null;
  assignedByUserId!: string | null;
  reason!: string;
  createdAt!: Date;
}

export class SystemCheck extends BaseModel {
  static override tableName = 'system_checks';
  id!: string;
  accountId!: string;
  requestedBy!: string | null;
  workflowId!: string;
  status!: string;
  workerIdentity!: string | null;
  createdAt!: Date;
  completedAt!: Date | null;
}

export class CaughtMail extends BaseModel {
  static override tableName = 'caught_mail';
  id!: number;
  messageId!: string | null;
  fromAddress!: string;
  toAddresses!: string[];
  subject!: string;
  text!: string | null;
  html!: string | null;
  receivedAt!: Date;
}

export type AnyModel = typeof Model;
