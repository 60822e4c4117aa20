// What the server hands every loader and action (web/server.ts builds it once per process).
// Loaders reach the database, mailer and Temporal only through here, so a test can start a
// server against its own database and nothing lives in module-level globals.
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { Mailer } from '../../activities/mailer.ts';

export interface WebServices {
  db: Knex;
  mode: 'development' | 'production';
  sessionSecret: string;
  /** Absolute origin for links in e-mails; never taken from the request's Host header. */
  publicUrl: string;
  mailer: Mailer | null;
  mailFrom: string;
  /** Null when the server runs without Temporal; the support page then says so. */
  temporal: TemporalAccess | null;
  temporalWebUrl: string | null;
}

export interface TemporalAccess {
  namespace: string;
  /** Leadflow's task queue; undefined means temporal.config.ts's default. */
  taskQueue?: string;
  /** The process's one client, connected on first use when the server was given settings. */
  getClient(): Promise<Client>;
}

declare module '@remix-run/node' {
  interface AppLoadContext {
    services: WebServices;
    clientIp: string;
  }
}
