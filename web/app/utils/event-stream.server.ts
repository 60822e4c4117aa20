// A server-sent event stream fed by polling PostgreSQL: the live views (an LSP's new leads, the
// agency's activity) each poll about once a second for rows newer than the last they sent. A
// stream lasts a minute and then ends; the browser's EventSource connects again by itself
// (signed in again, so a session that ended stops getting events), carrying the last id it saw.
export const LIVE_POLL_MS = 1_000;
const LIVE_STREAM_MS = 60_000;
const HEARTBEAT_MS = 15_000;
const RECONNECT_MS = 1_000;

export interface SseEvent {
  id: string;
  event: string;
  data: unknown;
}

/**
 * The stream: `poll` is called at once and then a second after each call returns, and its
 * events are sent in order. Ends after a minute, when the browser goes away (`signal`), or when
 * a poll fails (logged under `what`).
 */
export function pollingEventStream(what: string, signal: AbortSignal, poll: () => Promise<SseEvent[]>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let stop = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stop = () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', stop);
        try {
          controller.close();
        } catch {
          // Already closed by the reader going away.
        }
      };
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop);
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const startedAt = Date.now();
      let wroteAt = startedAt;
      const tick = async () => {
        try {
          for (const e of await poll()) {
            send(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
            wroteAt = Date.now();
          }
        } catch (err) {
          if (!closed) console.error(`[web] the ${what} stream stopped`, err);
          return stop();
        }
        if (closed) return;
        if (Date.now() - startedAt >= LIVE_STREAM_MS) return stop();
        // A comment line now and then keeps proxies from closing a quiet connection.
        if (Date.now() - wroteAt >= HEARTBEAT_MS) {
          send(': still here\n\n');
          wroteAt = Date.now();
        }
        timer = setTimeout(tick, LIVE_POLL_MS);
      };
      send(`retry: ${RECONNECT_MS}\n\n`);
      timer = setTimeout(tick, 0);
    },
    cancel() {
      stop();
    },
  });
}

/** The response headers of an event stream. */
export const EVENT_STREAM_HEADERS = { 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' } as const;
