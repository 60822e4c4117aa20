// A user of an account: who signs in, in which role (migrations: users).
import type { QueryBuilder } from 'objection';
import { Account } from './account.ts';
import { BaseModel, boolean, integer, nullable, oneOf, tableSchema, text, textArray, timestamp, uuid } from './base.ts';

/** As the users table's check constraints list them. */
export const ROLES = ['owner', 'admin', 'lsp', 'support'] as const;
export type Role = (typeof ROLES)[number];
export const USER_STATUSES = ['active', 'inactive'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

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
  /** Working today: set away, an LSP gets no new leads. */
  available!: boolean;
  /** New leads plus follow-ups an LSP works in a day. */
  dailyTarget!: number;
  /** Two-letter codes of the states the user holds a producer license in. */
  licensedStates!: string[];
  /** The user's own display zone (IANA); null: the account's. */
  timeZone!: string | null;
  /** E-mail me when a highly engaged lead is assigned to me. */
  notifyHotLeads!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
  account?: Account;

  static override jsonSchema = tableSchema(['accountId', 'username', 'email', 'name', 'role', 'passwordHash'], {
    id: uuid,
    accountId: uuid,
    username: text,
    email: text,
    name: text,
    role: oneOf(ROLES),
    status: oneOf(USER_STATUSES),
    passwordHash: text,
    mustChangePassword: boolean,
    available: boolean,
    dailyTarget: integer,
    licensedStates: textArray,
    timeZone: nullable(text),
    notifyHotLeads: boolean,
    createdAt: timestamp,
    updatedAt: timestamp,
  });

  static override relationMappings = () => ({
    account: { relation: BaseModel.BelongsToOneRelation, modelClass: Account, join: { from: 'users.account_id', to: 'accounts.id' } },
  });

  static override modifiers = {
    /** Enough of a user to name them (an assignee, the author of an event). */
    name: (q: QueryBuilder<User>) => q.select('users.id', 'users.name', 'users.username'),
  };
}

