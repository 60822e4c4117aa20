import type { Journal } from './persistence.ts';
import type { OfflineServer } from './server.ts';

export function openJournal(_file: string, _server: OfflineServer): Journal {
  throw new Error('not yet');
}
