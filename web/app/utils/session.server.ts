// Cookie sessions: the signed cookie holds only the user id, a password fingerprint and the
// CSRF token; the user is re-loaded from the database on every request.
import { createCookieSessionStorage, type Session, type SessionStorage } from '@remix-run/node';
import type { WebServices } from '../context.ts';

export interface SessionData {
  userId: string;
  /** Fingerprint of the password hash at sign-in: a password change ends every other session. */
  pwv: string;
  csrf: string;
}

export type AppSession = Session<SessionData>;

const storages = new WeakMap<WebServices, SessionStorage<SessionData>>();

export function sessionStorage(services: WebServices): SessionStorage<SessionData> {
  let storage = storages.get(services);
  if (!storage) {
    storage = createCookieSessionStorage<SessionData>({
      cookie: {
        name: 'lf_session',
        httpOnly: true,
        sameSite: 'lax',
        secure: services.mode !== 'development',
        path: '/',
        secrets: [services.sessionSecret],
        maxAge: 60 * 60 * 12,
      },
    });
    storages.set(services, storage);
  }
  return storage;
}

export function getSession(services: WebServices, request: Request): Promise<AppSession> {
  return sessionStorage(services).getSession(request.headers.get('Cookie'));
}

export function commitSession(services: WebServices, session: AppSession): Promise<string> {
  return sessionStorage(services).commitSession(session);
}

export function destroySession(services: WebServices, session: AppSession): Promise<string> {
  return sessionStorage(services).destroySession(session);
}
