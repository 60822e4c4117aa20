// One CSV import (migrations: imports, with its failure reason and resume checkpoint): the
// import workflow's activities read it as a knex row, Row<Import>.
import { BaseModel, bigint, integer, nullable, oneOf, tableSchema, text, timestamp, uuid } from './base.ts';

export const IMPORT_STATUSES = ['pending', 'running', 'done', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export class Import extends BaseModel {
  static override tableName = 'imports';
  id!: string;
  accountId!: string;
  name!: string;
  fileName!: string | null;
  status!: ImportStatus;
  totalRows!: number;
  okRows!: number;
  errorRows!: number;
  createdBy!: string | null;
  createdAt!: Date;
  finishedAt!: Date | null;
  failureReason!: string | null;
  /** The byte offset of the file the next batch starts at; null until the first checkpoint. */
  resumeOffset!: string | null;
  /** The CSV line number at resumeOffset. */
  resumeLine!: number | null;

  static override jsonSchema = tableSchema(['accountId', 'name'], {
    id: uuid,
    accountId: uuid,
    name: text,
    fileName: nullable(text),
    status: oneOf(IMPORT_STATUSES),
    totalRows: integer,
    okRows: integer,
    errorRows: integer,
    createdBy: nullable(uuid),
    createdAt: timestamp,
    finishedAt: nullable(timestamp),
    failureReason: nullable(text),
    resumeOffset: nullable(bigint),
    resumeLine: nullable(integer),
  });
}
