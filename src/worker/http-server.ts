// The node:http server around the Hono app. What every request needs (the worker headers, the body
// limit, the metrics) is done here, on the raw request and response, rather than in Hono middleware:
// a middleware would make every route asynchronous and push it off the node adapter's fast path.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { WorkerIdentity } from '../stats.js';

/** No route reads a body; anything bigger than this is refused before it is read. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface HttpServerOptions {
  identity: WorkerIdentity;
  /** false: every response closes its connection (--no-keep-alive). */
  keepAlive: boolean;
  /** The Hono app as a node request listener. */
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  onRequest: () => void;
  /** Called once each response is written, with the route pattern that served it. */
  observe: (route: string, method: string, status: number, seconds: number) => void;
  routeOf: (path: string) => string;
}

const jsonError = (status: number, error: string, message: string) => JSON.stringify({ error, message, status });

const refuseBody = (response: ServerResponse): void => {
  const body = jsonError(413, 'E_BODY_TOO_LARGE', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
  response.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
  response.end(body);
};

// Errors Node meets before there is a request (a header block over its limit, garbage): answer them
// in the same JSON shape as everything else, instead of Node's bare status line.
const answerClientError = (error: NodeJS.ErrnoException, socket: Socket): void => {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, text, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers are larger than this server accepts (16 KiB).']
      : [400, 'Bad Request', 'The request could not be parsed as HTTP.'];
  const body = jsonError(status, status === 431 ? 'E_HEADERS_TOO_LARGE' : 'E_BAD_REQUEST', message);
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
};

/** false when the body is (or turns out to be) over MAX_BODY_BYTES: a 413 went out instead. */
const acceptBody = (request: IncomingMessage, response: ServerResponse): boolean => {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    refuseBody(response);
    return false;
  }
  if (request.headers['transfer-encoding'] !== undefined) {
    // A chunked body announces no length: count it as it comes and stop at the limit.
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BODY_BYTES && !response.headersSent) {
        refuseBody(response);
        request.destroy();
      }
    });
  }
  return true;
};

export const createHttpServer = ({
  identity,
  keepAlive,
  handle,
  onRequest,
  observe,
  routeOf,
}: HttpServerOptions): Server => {
  const workerId = String(identity.id);
  const workerPid = String(identity.pid);
  const server = createServer((request, response) => {
    const started = performance.now();
    onRequest();
    // writeHead() merges these with the app's own headers.
    response.setHeader('x-worker-id', workerId);
    response.setHeader('x-worker-pid', workerPid);
    // Node ends the connection after this response: the next request is a new connection, which
    // the primary may hand to another worker.
    if (!keepAlive) response.setHeader('connection', 'close');

    const method = request.method ?? 'GET';
    // GET and HEAD bodies are never read (Node discards them): only other methods are checked, which
    // also spares the hot path from building the headers object.
    if (method !== 'GET' && method !== 'HEAD' && !acceptBody(request, response)) return;

    // The listener resolves once the response is written, and answers 500 itself if the app throws.
    void handle(request, response).then(() => {
      const url = request.url ?? '/';
      const query = url.indexOf('?');
      observe(
        routeOf(query === -1 ? url : url.slice(0, query)),
        method,
        response.statusCode,
        (performance.now() - started) / 1000,
      );
    });
  });
  server.on('clientError', answerClientError);
  return server;
};
