// What every model shares: snake_case columns read as camelCase properties, JSON columns named
// explicitly, and the JSON Schema building blocks each model's `jsonSchema` is written in, one
// per column type the migrations use (test/db/models.test.ts holds each model to its table).
import { AjvValidator, Model, snakeCaseMappers, type JSONSchema, type ModelObject } from 'objection';

/** A text, uuid or other string column. */
export const text: JSONSchema = { type: 'string' };
export const uuid: JSONSchema = { type: 'string', format: 'uuid' };
export const boolean: JSONSchema = { type: 'boolean' };
export const integer: JSONSchema = { type: 'integer' };
/** A bigint (bigIncrements) column: pg reads int8 as a string, so no precision is lost. */
export const bigint: JSONSchema = { type: 'string', pattern: '^[0-9]+$' };
/** A text[] column. */
export const textArray: JSONSchema = { type: 'array', items: { type: 'string' } };
/** A jsonb column holding an array or an object (list it in the model's `jsonAttributes`). */
export const jsonArray: JSONSchema = { type: 'array' };
export const jsonObject: JSONSchema = { type: 'object' };
/**
 * A timestamptz column: pg reads it as a Date, and code writes a Date or an ISO string. JSON
 * Schema has no Date, so the `timestamptz` keyword (registered below) checks either.
 */
export const timestamp = { type: ['string', 'object'], timestamptz: true } as JSONSchema;

/** A table's jsonSchema: exactly these columns; `required` are those NOT NULL without a default. */
export function tableSchema(required: string[], properties: Record<string, JSONSchema>): JSONSchema {
  return { type: 'object', additionalProperties: false, required, properties };
}

/** The keys of a row that belongs to a lead (its history, touches and assignments). */
export const leadChildKeys = { id: bigint, leadId: uuid, accountId: uuid };

/** A text column with a check constraint listing its values. */
export function oneOf(values: readonly string[]): JSONSchema {
  return { type: 'string', enum: [...values] };
}

/** The same column, NULL allowed. */
export function nullable(schema: JSONSchema): JSONSchema {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type!];
  return { ...schema, type: [...types, 'null'], ...(schema.enum ? { enum: [...schema.enum, null] } : {}) };
}

function isTimestamp(value: unknown): boolean {
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * snake_case columns in PostgreSQL, camelCase in code. No model is bound to a knex instance:
 * every query names the knex or transaction it runs on (`Lead.query(trx)`), because the web
 * app and the worker have pools of their own and tests run several databases at once.
 */
export class BaseModel extends Model {
  static override get columnNameMappers() {
    return snakeCaseMappers();
  }

  // Named per model: objection would otherwise treat every array- or object-typed property as
  // JSON, and a text[] or timestamptz column would be written as a JSON string.
  static override jsonAttributes: string[] = [];

  static override createValidator() {
    return new AjvValidator({
      onCreateAjv: (ajv) => {
        // Checks strings and objects only: `type` decides whether null is allowed.
        ajv.addKeyword({ keyword: 'timestamptz', type: ['string', 'object'], schemaType: 'boolean', validate: (_: boolean, value: unknown) => isTimestamp(value) });
      },
      // objection's own defaults, with union types allowed (a timestamp is a string or a Date).
      options: { allErrors: true, validateSchema: false, ownProperties: true, allowUnionTypes: true },
    });
  }
}

/** `addressLine1` -> `address_line1`: what snakeCaseMappers does to a property name, as a type. */
type SnakeCase<S extends string> = S extends `${infer C}${infer Rest}` ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${SnakeCase<Rest>}` : S;

/**
 * A model's table row as a knex query returns it: snake_case columns, relations left out. For
 * set-based code that stays in knex but should not describe the table a second time.
 */
export type Row<M extends Model> = {
  [K in keyof ModelObject<M> as NonNullable<ModelObject<M>[K]> extends Model | Model[] ? never : SnakeCase<K & string>]: ModelObject<M>[K];
};
