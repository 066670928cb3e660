import { createReadStream, existsSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { WorkError } from '../errors.js';
import { staticFile, type Route } from './routes.js';

/**
 * The part of MFSERV's nginx that `run` needs: one HTTP listener on 127.0.0.1 that forwards
 * each request, its path whole, to a worker's unix socket (round robin over the live ones),
 * serves static routes from disk, and answers 502/504/404 in plain words.
 */

export interface ProxyOptions {
  host: string;
  port: number;
  route: (path: string) => Route;
  /** The sockets of an application's workers that are running now. */
  sockets: (app: string) => string[];
  timeoutSeconds: (app: string) => number;
  pluginName: string;
}

export interface Proxy {
  url: string;
  close: () => Promise<void>;
}

/** Starts listening; a port in use is an error naming `--port`. */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const turns = new Map<string, number>();
  const server = createServer((req, res) => {
    handle(req, res, options, turns).catch((error: Error) =>
      answer(res, 500, `bootstrap-plugin run: ${error.message}`),
    );
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? 'is in use'
          : error.code === 'EACCES'
            ? 'needs privileges'
            : `cannot be listened on (${error.message})`;
      fail(new WorkError(`port ${options.port} on ${options.host} ${reason}: choose another with --port N`));
    });
    server.listen(options.port, options.host, () => done());
  });
  return {
    url: `http://${options.host}:${options.port}`,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: ProxyOptions,
  turns: Map<string, number>,
): Promise<void> {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const route = options.route(path);
  switch (route.kind) {
    case 'redirect':
      res.writeHead(301, { location: route.location + (queryAt < 0 ? '' : url.slice(queryAt)) }).end();
      return;
    case 'none':
      answer(res, 404, `nothing is served at ${path}: plugin ${options.pluginName} is at /${options.pluginName}/`);
      return;
    case 'static': {
      const found = await staticFile(route.dir, route.rest);
      if (!found) return answer(res, 404, `${path}: no such file`);
      res.writeHead(200, { 'content-type': found.contentType });
      if (req.method === 'HEAD') res.end();
      else
        createReadStream(found.file)
          .on('error', () => res.destroy())
          .pipe(res);
      return;
    }
    case 'app':
      return forward(req, res, route.app, options, turns);
  }
}

/** A request arriving while the workers start (or restart after a change) waits this long for one. */
const WAIT_FOR_WORKER_MS = 15_000;
const WAIT_STEP_MS = 100;

/** The sockets of the application's workers that are listening, waiting a while for a first one. */
async function listening(app: string, options: ProxyOptions, req: IncomingMessage): Promise<string[]> {
  const deadline = Date.now() + WAIT_FOR_WORKER_MS;
  for (;;) {
    const sockets = options.sockets(app).filter((socket) => existsSync(socket));
    if (sockets.length > 0 || Date.now() >= deadline || req.destroyed) return sockets;
    await new Promise((done) => setTimeout(done, WAIT_STEP_MS));
  }
}

async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  app: string,
  options: ProxyOptions,
  turns: Map<string, number>,
): Promise<void> {
  const sockets = await listening(app, options, req);
  if (sockets.length === 0)
    return answer(
      res,
      502,
      `application ${app} has no worker listening (see its output above; it restarts with back-off)`,
    );
  const turn = turns.get(app) ?? 0;
  turns.set(app, turn + 1);
  const socketPath = sockets[turn % sockets.length];
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  const upstream = request({
    socketPath,
    method: req.method,
    path: req.url,
    headers: {
      ...req.headers,
      'x-forwarded-for': forwardedFor,
      'x-forwarded-proto': 'http',
      'x-real-ip': req.socket.remoteAddress ?? '',
    },
  });
  upstream.setTimeout(options.timeoutSeconds(app) * 1000, () => {
    upstream.destroy();
    answer(
      res,
      504,
      `application ${app} did not answer within ${options.timeoutSeconds(app)} s (its timeout in config.ini)`,
    );
  });
  upstream.on('response', (reply) => {
    res.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(res);
  });
  upstream.on('error', (error) => answer(res, 502, `application ${app}: ${error.message}`));
  req.pipe(upstream);
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}
