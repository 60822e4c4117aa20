import type { HeadersFunction } from '@remix-run/node';

/**
 * A route's `headers` export that passes the named headers of its action or loader answer on
 * to the document response (Remix passes only Set-Cookie on by itself).
 */
export function passHeaders(...names: string[]): HeadersFunction {
  return ({ actionHeaders, loaderHeaders }) => {
    const out = new Headers();
    for (const name of names) {
      const value = actionHeaders.get(name) ?? loaderHeaders.get(name);
      if (value) out.set(name, value);
    }
    return out;
  };
}
