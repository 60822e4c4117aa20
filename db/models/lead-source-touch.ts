// One arrival of a lead from a source: the first, and each duplicate merged into it since
// (migrations: lead_source_touches).
import { BaseModel, jsonObject, leadChildKeys, nullable, tableSchema, text, timestamp } from './base.ts';

export class LeadSourceTouch extends BaseModel {
  static override tableName = 'lead_source_touches';
  id!: string;
  leadId!: string;
  accountId!: string;
  /** As received: a source Leadflow does not know is kept too. */
  source!: string;
  importName!: string | null;
  /** The account's agent ID the arrival was for (null before agent IDs were recorded). */
  agentId!: string | null;
  payload!: Record<string, unknown>;
  receivedAt!: Date;

  static override jsonAttributes = ['payload'];

  static override jsonSchema = tableSchema(['leadId', 'accountId', 'source'], {
    ...leadChildKeys,
    source: text,
    importName: nullable(text),
    agentId: nullable(text),
    payload: jsonObject,
    receivedAt: timestamp,
  });
}
