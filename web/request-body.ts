// Request bodies, limited while they stream. A Content-Length check alone lets a chunked body
// (no Content-Length) be read whole before anything refuses it; here every byte is counted as
// it is read from the socket, and the first chunk past the limit stops the reading, answers
// 413 and closes the connection. Nothing ever holds more than the limit plus one chunk (and the
// socket's own buffers), whoever reads the body, and a body nobody reads is drained, counted
// and cut off the same way.
import type http from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export class BodyCutOffError extends Error {
  constructor() {
    super('The request body ended before it was complete');
    this.name = 'BodyCutOffError';
  }
}

/** "1 MB", "21 MB": the limit as the 413 answer says it. */
export function describeLimit(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/**
 * After a refusal the connection is closed, but not at once: a client still sending its body
 * would hit a reset before it had read the answer (an EPIPE instead of the 413). For a moment
 * the rest of the body is read and thrown away (lingering close, as web servers do), then the
 * connection goes. Nothing of it is kept, and the moment is bounded in time and bytes.
 */
export const LINGER_MS = 5_000;
export const LINGER_BYTES = 64 * 1024 * 1024;

function lingerThenClose(req: http.IncomingMessage, done: () => void): void {
  const socket = req.socket;
  if (req.complete || socket.destroyed) return done();
  let extra = 0;
  const close = () => {
    clearTimeout(timer);
    req.off('data', discard);
    done();
    if (!req.complete) socket.destroy();
  };
  const discard = (chunk: Buffer) => {
    extra += chunk.length;
    if (extra > LINGER_BYTES) close();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.on('data', discard);
  req.once('end', close);
  req.resume();
}

/**
 * Answers 413 (unless an answer is already out) and closes the connection after a short
 * linger: the rest of the body is never kept. The answer is written at once but ended only
 * when the linger is over, since Node closes a "Connection: close" socket the moment its
 * answer ends, which is exactly the reset the linger is there to avoid.
 */
export function refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse, limit: number): void {
  if (res.headersSent) return lingerThenClose(req, () => {});
  const text = `Request body too large: at most ${describeLimit(limit)}`;
  res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
  res.write(text);
  lingerThenClose(req, () => res.end());
}

export interface LimitedBody {
  /** The body as a web stream; it errors with BodyTooLargeError past the limit. */
  stream: ReadableStream<Uint8Array>;
  /** Whether the limit was passed (the 413 is then already answered, or the connection closed). */
  readonly refused: boolean;
}

/**
 * Wraps `req`'s body. `onRefused` runs once, when the limit is passed, before the 413 goes out
 * (the caller aborts its work there). Past the response's end, an unread rest of the body is
 * drained under the same count, so a keep-alive connection is neither stuck nor endless.
 */
export function limitBody(req: http.IncomingMessage, res: http.ServerResponse, limit: number, onRefused: () => void): LimitedBody {
  let seen = 0;
  let refused = false;
  let streaming = true;
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  const count = (chunk: Buffer): boolean => {
    if (refused) return false;
    seen += chunk.length;
    if (seen <= limit) return true;
    refused = true;
    detach();
    req.pause();
    if (streaming) controller.error(new BodyTooLargeError(limit));
    streaming = false;
    onRefused();
    refuseTooLarge(req, res, limit);
    return false;
  };
  const onData = (chunk: Buffer) => {
    if (!count(chunk) || !streaming) return;
    controller.enqueue(chunk);
    if ((controller.desiredSize ?? 0) <= 0) req.pause();
  };
  const onEnd = () => {
    detach();
    if (streaming) controller.close();
    streaming = false;
  };
  const onError = (err: Error) => {
    detach();
    if (streaming) controller.error(err);
    streaming = false;
  };
  const onClose = () => {
    if (!req.complete) onError(new BodyCutOffError());
  };
  const detach = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    req.off('close', onClose);
  };

  // Paused before the first listener, so nothing flows until the body's reader asks for it.
  req.pause();
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        req.on('data', onData);
        req.once('end', onEnd);
        req.once('error', onError);
        req.once('close', onClose);
      },
      pull() {
        if (streaming) req.resume();
      },
      cancel() {
        // The reader gave up on the body; the response's end drains what is left.
        streaming = false;
        req.pause();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );

  res.once('finish', () => {
    if (req.complete || refused) return;
    // Answered before the body was read to its end: drain it, still counting.
    streaming = false;
    detach();
    req.on('data', (chunk: Buffer) => void count(chunk));
    req.resume();
  });

  return {
    stream,
    get refused() {
      return refused;
    },
  };
}

/** The whole body (already limited: this only gathers it). */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
