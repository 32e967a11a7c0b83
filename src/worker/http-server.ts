// The node:http server around the Hono app. What every request needs (the worker headers, the body
// limit, the metrics) is done here, on the raw request and response, rather than in Hono middleware:
// a middleware would make every route asynchronous and push it off the node adapter's fast path.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { WorkerIdentity } from '../stats.js';

/** No route reads a body; anything bigger than this is refused with a 413. */
export const MAX_BODY_BYTES = 16 * 1024;
/**
 * A refused body up to this size is read and thrown away before the 413 goes out (see refuseBody);
 * a bigger one, or one slower than DRAIN_MS, is answered at once.
 */
const DRAIN_BYTES = 4 * 1024 * 1024;
export const DRAIN_MS = 2000;
/**
 * How long an idle kept-alive connection stays open: Node's default, written down. A load balancer
 * in front should close its idle connections sooner than this, or it may send on one as we close it.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 5000;
/** The longest gap between two checks of the header and request timeouts (Node's default is 30 s). */
const MAX_TIMEOUT_CHECK_MS = 1000;

/** Sent on every response, raw ones included: the browser must take our JSON as JSON. */
const NOSNIFF = 'nosniff';

export interface HttpServerOptions {
  identity: WorkerIdentity;
  /**
   * false: every response closes its connection (--no-keep-alive). Read per response, so switching
   * it at run time (POST /admin/keep-alive) applies from the next response on every connection.
   */
  keepAlive: () => boolean;
  /** A client that has not sent its headers within this gets a 408 (--headers-timeout-ms). */
  headersTimeoutMs: number;
  /** A client that has not sent its whole request within this gets a 408 (--request-timeout-ms). */
  requestTimeoutMs: number;
  /** The Hono app as a node request listener. */
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  /** Called once each response is written, with the route pattern that served it. */
  observe: (route: string, method: string, status: number, seconds: number) => void;
  /** Called once each response is written, with the path (no query) and the client's socket. */
  served: (method: string, path: string, status: number, socket: Socket) => void;
  routeOf: (path: string) => string;
}

const jsonError = (status: number, error: string, message: string) => JSON.stringify({ error, message, status });

/** A JSON error answered here, before the app, and the connection closed after it. */
const refuse = (response: ServerResponse, status: number, error: string, message: string): void => {
  const body = jsonError(status, error, message);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
};

const tooLarge = (response: ServerResponse): void =>
  refuse(response, 413, 'E_BODY_TOO_LARGE', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);

/**
 * The 413 closes the connection. Closing a socket that still has unread bytes makes the kernel send
 * a reset, and a client that is still writing its body then gets EPIPE or ECONNRESET instead of the
 * answer (3 % of 1 MB POSTs with a length did, 25 % of chunked ones, on loopback). So the rest of the
 * body is read and thrown away first, and the 413 goes out once it has all arrived: the close is then
 * a clean FIN. Not for ever: after DRAIN_BYTES in all, or DRAIN_MS, it is answered as it stands
 * (a client still writing may then miss the answer). The app never runs for a refused body.
 */
const refuseBody = (request: IncomingMessage, response: ServerResponse, read: number): void => {
  let total = read;
  const answer = (): void => {
    clearTimeout(timer);
    request.off('data', count);
    request.off('end', answer);
    tooLarge(response);
  };
  const count = (chunk: Buffer): void => {
    total += chunk.length;
    if (total > DRAIN_BYTES) answer();
  };
  const timer = setTimeout(answer, DRAIN_MS);
  request.on('data', count);
  request.on('end', answer);
  request.resume();
};

type ClientErrorAnswer = [status: number, text: string, error: string, message: string];

const describeClientError = (code: string | undefined, timeouts: string): ClientErrorAnswer => {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [
        431,
        'Request Header Fields Too Large',
        'E_HEADERS_TOO_LARGE',
        'The request headers are larger than this server accepts (16 KiB).',
      ];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', 'E_REQUEST_TIMEOUT', `The request did not arrive in time (${timeouts}).`];
    default:
      return [400, 'Bad Request', 'E_BAD_REQUEST', 'The request could not be parsed as HTTP.'];
  }
};

// Errors Node meets before there is a request (a header block over its limit, garbage, a client too
// slow to send its request): answer them in the same JSON shape as everything else, instead of
// Node's bare status line.
const answerClientError =
  (timeouts: string) =>
  (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, text, code, message] = describeClientError(error.code, timeouts);
    const body = jsonError(status, code, message);
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-content-type-options: ${NOSNIFF}\r\nconnection: close\r\n\r\n${body}`,
    );
  };

/**
 * Whether the request names a Host. Read from the raw header list the parser already made: asking
 * `request.headers` would build an object of every header on every request, which nothing else on
 * the counter routes needs.
 */
const hasHost = (rawHeaders: readonly string[]): boolean => {
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') return true;
  }
  return false;
};

/**
 * No route reads a body, but one must still arrive whole before anything answers: an answer that
 * closes the connection (the client asked for it, or a 413) while the body is still coming resets
 * it, and the client, still writing, gets EPIPE instead of the answer (a quarter of 1 MB chunked
 * POSTs did when the 413 went out at the limit, and some still did when the app answered beside
 * the body). So `next` — the app — runs once the body has ended, read and thrown away; a body over
 * MAX_BODY_BYTES gets the 413 instead (refuseBody), and the app does not run.
 */
const readBodyThen = (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
  const announced = Number(request.headers['content-length'] ?? 0);
  if (announced > MAX_BODY_BYTES) {
    // Node's parser reads no more than the announced length: past DRAIN_BYTES, answer at once.
    if (announced > DRAIN_BYTES) tooLarge(response);
    else refuseBody(request, response, 0);
    return;
  }
  // A chunked body announces no length: count it as it comes.
  let received = 0;
  const ended = (): void => {
    request.off('data', count);
    next();
  };
  const count = (chunk: Buffer): void => {
    received += chunk.length;
    if (received <= MAX_BODY_BYTES) return;
    request.off('data', count);
    request.off('end', ended);
    refuseBody(request, response, received);
  };
  request.on('data', count);
  request.once('end', ended);
};

export const createHttpServer = ({
  identity,
  keepAlive,
  headersTimeoutMs,
  requestTimeoutMs,
  handle,
  observe,
  served,
  routeOf,
}: HttpServerOptions): Server => {
  const workerId = String(identity.id);
  const workerPid = String(identity.pid);
  const options = {
    // Explicit bounds for slow clients (slowloris, silent connections), answered with a 408; Node
    // checks them every `connectionsCheckingInterval`, 30 s by default, so a 10 s bound would
    // really be up to 40 s.
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_MS, Math.floor(headersTimeoutMs / 4)),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // HTTP/1.0 has no Host (HAProxy's `option httpchk GET /healthz` sends none): answer it. A 1.1
    // request without Host is still refused, below, in JSON.
    requireHostHeader: false,
  };
  // The app, then the request's metrics once the response is written (the listener resolves then,
  // and answers 500 itself if the app throws).
  const run = (request: IncomingMessage, response: ServerResponse, method: string, started: number): void => {
    void handle(request, response).then(() => {
      const url = request.url ?? '/';
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      observe(routeOf(path), method, response.statusCode, (performance.now() - started) / 1000);
      served(method, path, response.statusCode, request.socket);
    });
  };
  const server = createServer(options, (request, response) => {
    const started = performance.now();
    // writeHead() merges these with the app's own headers.
    response.setHeader('x-worker-instance', identity.instance);
    response.setHeader('x-worker-id', workerId);
    response.setHeader('x-worker-pid', workerPid);
    response.setHeader('x-content-type-options', NOSNIFF);
    // Node ends the connection after this response: the next request is a new connection, which
    // the primary may hand to another worker.
    if (!keepAlive()) response.setHeader('connection', 'close');

    if (request.httpVersion !== '1.0' && !hasHost(request.rawHeaders)) {
      refuse(response, 400, 'E_BAD_REQUEST', 'An HTTP/1.1 request needs a Host header.');
      return;
    }
    const method = request.method ?? 'GET';
    // GET and HEAD bodies are never read (Node discards them): only other methods wait for theirs,
    // which also spares the hot path from building the headers object.
    if (method === 'GET' || method === 'HEAD') run(request, response, method, started);
    else readBodyThen(request, response, () => run(request, response, method, started));
  });
  const timeouts = `headers within ${headersTimeoutMs} ms, the whole request within ${requestTimeoutMs} ms`;
  server.on('clientError', answerClientError(timeouts));
  return server;
};
