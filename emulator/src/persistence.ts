import type { Execution, Namespace } from './model.ts';
import type { SearchAttributeType } from './visibility.ts';

/** Durable storage for dev mode (--db-filename); see the implementation below. */
export interface Journal {
  recordNamespace(ns: Namespace): void;
  recordSearchAttribute(ns: Namespace, name: string, type: SearchAttributeType | null): void;
  markDirty(x: Execution): void;
  flush(): void;
}
