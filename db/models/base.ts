import { Model, snakeCaseMappers } from 'objection';

/** snake_case columns in PostgreSQL, camelCase in code. */
export class BaseModel extends Model {
  static override get columnNameMappers() {
    return snakeCaseMappers();
  }
}
