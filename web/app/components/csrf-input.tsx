import { useRouteLoaderData } from '@remix-run/react';
import type { loader as rootLoader } from '../root.tsx';

/** The session's CSRF token; every POST form renders one (utils/csrf.server.ts checks it). */
export function CsrfInput() {
  const data = useRouteLoaderData<typeof rootLoader>('root');
  return <input type="hidden" name="csrf" value={data?.csrf ?? ''} />;
}
