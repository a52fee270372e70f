// Loaded only by `fleet serve` (a dynamic import in commands/serve.ts): Fastify and
// prom-client land in a chunk of their own, which no other command parses.
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { FileReadError, UsageError } from '@fleet/core';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { CliContext } from '../context.js';
import { registerApiRoutes } from './api-routes.js';
import { registerEventsRoute } from './events-route.js';
import { FleetMetrics } from './fleet-metrics.js';
import { httpErrorFor } from './http-error.js';
import { PAGE_PATHS, readPageAssets, type PageAssets } from './page-assets.js';
import { PAGE_SECRET_KEY } from './page-contract.js';
import { allowedHosts, CSRF_HEADER, guardRequest, isApiRoute, isSensitive, sessionCookie, type GuardConfig } from './request-guard.js';
import { PAGE_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './security-headers.js';
import { machineNames } from './machine-names.js';
import { certificateDnsNames, isLoopbackHost, isWildcardHost, servedHostNames, type ResolvedServeOptions } from './serve-options.js';

/** A running `fleet serve`. */
export interface RunningServer {
  /** The URL to open, with the access token in it. */
  url: string;
  /** Stops taking requests, ends those in flight, and closes the listening socket. */
  close(): Promise<void>;
}

/**
 * Starts the HTTP server on the context's Redis. Every request passes the
 * guard (request-guard.ts) before any route runs; while Redis is not
 * connected, the API and /metrics answer 503 at once instead of waiting.
 */
export async function startServer(context: CliContext, options: ResolvedServeOptions): Promise<RunningServer> {
  const https = options.tls === null ? null : await readTls(options.tls);
  const scheme = https === null ? 'http' : 'https';
  // No logger: a request's URL may carry the token, and the token never reaches a log.
  // No HEAD routes: a HEAD of the output would take it as a GET does, and nothing here needs one.
  const app: FastifyInstance = Fastify({
    logger: false,
    forceCloseConnections: true,
    exposeHeadRoutes: false,
    ...(https === null ? {} : { https }),
  });
  const secret = () => randomBytes(32).toString('base64url');
  const secrets = { token: secret(), session: secret(), pageSecret: secret() };
  // A server built without its page (tsc alone) still serves the API; `/` says what is missing.
  const page: PageAssets | Error = await readPageAssets().catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
  // Filled in once the port is known (port 0 takes a free one); the guard refuses every request until then.
  let guard: GuardConfig = { ...secrets, scheme, cookieName: 'fleet-session', allowedHosts: new Set() };
  const metrics = new FleetMetrics();
  // While Redis is away, a command would wait in ioredis' queue for the reconnection: fail it at once instead (503).
  context.store.client.options.enableOfflineQueue = false;
  const redisReady = () => context.store.client.status === 'ready';

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const query = request.query as Record<string, unknown>;
    const queryToken = query.token;
    // The route Fastify matched, not request.url: the URL as written may be percent-encoded or absolute-form.
    const route = request.routeOptions.url;
    const verdict = guardRequest(
      {
        method: request.method,
        host: header('host'),
        origin: header('origin'),
        secFetchSite: header('sec-fetch-site'),
        authorization: header('authorization'),
        cookie: header('cookie'),
        csrfHeader: header(CSRF_HEADER),
        queryToken: typeof queryToken === 'string' ? queryToken : undefined,
        sensitive: isSensitive(request.method, route, PAGE_PATHS),
      },
      guard,
    );
    if (!verdict.allowed) return reply.status(verdict.status).send({ error: verdict.message });
    reply.header('cache-control', 'no-store');
    if (verdict.viaQueryToken) {
      reply.header('set-cookie', sessionCookie(guard));
      // The page is opened without the token in its URL (history, Referer); an API call just goes on.
      // Always to `/`: the path as given (`//attacker.example/?token=`) would be an off-site redirect.
      // The fragment hands the page its secret, which no request with the cookie alone can read back; it never reaches a server.
      if (request.method === 'GET' && !isApiRoute(route)) {
        return reply.redirect(`/#${PAGE_SECRET_KEY}=${guard.pageSecret}`, 303);
      }
    }
    if (isApiRoute(route)) {
      if (!redisReady()) return reply.status(503).send(httpErrorFor(new Error('not connected'), false).body);
      answerByDeadline(reply);
    }
    return undefined;
  });

  app.setErrorHandler((thrown, _request, reply) => {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    // Fastify's own (a body that is not JSON, an unknown content type) carry a 4xx status and a plain message.
    const own = (error as { statusCode?: number }).statusCode;
    if (own !== undefined && own >= 400 && own < 500) return reply.status(own).send({ error: error.message });
    const { status, body } = httpErrorFor(error, redisReady());
    if (status === 500) process.stderr.write(`fleet serve: ${error.stack ?? error.message}\n`);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: `no such route: ${request.method} ${request.url.split('?')[0]}` }),
  );

  if (page instanceof Error) {
    app.get('/', (_request, reply) => reply.status(500).type('text/plain; charset=utf-8').send(`fleet serve: ${page.message}\n`));
  } else {
    for (const [path, asset] of page) {
      app.get(path, (_request, reply) =>
        reply.header('content-security-policy', PAGE_CONTENT_SECURITY_POLICY).type(asset.type).send(asset.body),
      );
    }
  }
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.scrape(context.shards)));
  registerApiRoutes(app, context);
  registerEventsRoute(app, context);

  await app.listen({ host: options.host, port: options.port }).catch(async (error: unknown) => {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot listen on ${options.host}:${options.port}: ${code ?? String(error)}`, {
      hint:
        code === 'EADDRINUSE'
          ? 'another server has that port: choose another with --listen ADDR:PORT'
          : 'choose another --listen ADDR:PORT',
      cause: error,
    });
  });
  const { port, address: boundAddress } = app.server.address() as AddressInfo;
  const certificateNames = https === null ? [] : certificateDnsNames(new X509Certificate(https.cert).subjectAltName);
  const names = servedHostNames({
    listenHost: options.host,
    boundAddress,
    machineNames: isWildcardHost(options.host) ? machineNames() : [],
    certificateNames,
  });
  // Cookies are per host, not per port: the port in the name keeps two servers' sessions apart.
  guard = { ...guard, cookieName: `fleet-session-${port}`, allowedHosts: allowedHosts(names, port, scheme) };
  // Beyond loopback over TLS, the URL names the host by a name its certificate holds, so that a browser accepts it.
  const shownHost =
    certificateNames[0] !== undefined && !isLoopbackHost(options.host)
      ? certificateNames[0]
      : isWildcardHost(options.host)
        ? hostname()
        : options.host.includes(':')
          ? `[${options.host}]`
          : options.host;
  return {
    url: `${scheme}://${shownHost}:${port}/?token=${secrets.token}`,
    close: () => app.close(),
  };
}

/** How long a request to the API may go without an answer (Redis hung, or gone after the command was sent). */
const REQUEST_DEADLINE_MS = 15_000;

/**
 * Answers 503 if nothing has been answered by the deadline. A command already
 * sent when Redis goes away is resent once it returns, so without this the
 * request would wait for Redis; a stream already begun is left to run.
 */
function answerByDeadline(reply: FastifyReply): void {
  const timer = setTimeout(() => {
    if (reply.raw.headersSent || reply.sent) return;
    void reply.status(503).send({
      error: `no answer within ${REQUEST_DEADLINE_MS / 1000} s: Redis does not answer, or the jobs have not finished stopping`,
      hint: 'try again; GET /api/jobs/ID shows where a job stands',
    });
  }, REQUEST_DEADLINE_MS);
  timer.unref();
  reply.raw.once('close', () => clearTimeout(timer));
}

async function readTls(files: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (what: string, path: string) =>
    readFile(path).catch((error: unknown) => {
      throw new FileReadError(what, path, error);
    });
  return { cert: await read('the TLS certificate', files.certFile), key: await read('the TLS key', files.keyFile) };
}
