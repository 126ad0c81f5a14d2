// `serve`: runs the HTTP API until SIGTERM/SIGINT. The composition root in src/http/main.ts reads
// the HTTP settings (API_KEYS, RESUME_TOKEN_SECRET, WEBHOOK_SECRET_<PROVIDER>, limits).

import { runServeProcess } from '../../http/main.js';
import { intFlag, positionalArgs, stringFlag, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  help: `Usage: resume-processor serve [--host 127.0.0.1] [--port 8080] [--insecure-no-auth] [--json]

Runs the HTTP API: /v1/workers (register, status, list, events, suspend, resume, close, timeout),
/v1/events, signed single-use resume links (POST /v1/resume/{token}), verified webhooks
(POST /v1/webhooks/{provider}), /healthz, /readyz, the OpenAPI document at /openapi.json,
Swagger UI at /docs, the operator dashboard at /dashboard (log in with an API key) and bull-board
at /admin/queues (docs/dashboard.md). Errors are application/problem+json with a stable code.
SIGTERM or SIGINT stops taking connections, lets requests in flight finish and exits 0. Once
listening it prints one line ({"listening":true,"url":...} with --json); logs go to stderr. See
docs/http.md.

  --host H             address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --port N             port (default 8080; 0 picks a free one)
  --insecure-no-auth   no API keys, for a local trial: every route is open and the server listens
                       on 127.0.0.1 only (another --host is refused, and so is API_KEYS)

Environment (besides REDIS_URL, RESUME_PREFIX, RESUME_PARTITIONS, LOG_LEVEL, ...):
  API_KEYS               name:key:scope,... scope read or write (write includes read); the key
                         is 16-256 printable characters. Required unless --insecure-no-auth.
  RESUME_TOKEN_SECRET    HMAC key of resume links (at least 32 characters); unset: none issued
  RESUME_TOKEN_TTL_MS    default life of a resume link (default 604800000, 7 days; max 30 days)
  WEBHOOK_SECRET_<P>     HMAC secret of provider P's webhooks (e.g. WEBHOOK_SECRET_GITHUB)
  HTTP_BODY_LIMIT        largest request body in bytes (default 1048576)
  HTTP_RATE_LIMIT        requests per key (or client address) and window (default 600)
  HTTP_RATE_WINDOW_MS    the rate limit's window (default 60000)
  PUBLIC_URL             base of resume_url links (default: the request's own scheme and host)

Example:
  API_KEYS="ops:$(openssl rand -hex 24):write" RESUME_TOKEN_SECRET=$(openssl rand -hex 32) \\
    resume-processor serve --host 0.0.0.0 --port 8080`,
  flags: { host: { type: 'string' }, port: { type: 'string' }, 'insecure-no-auth': { type: 'boolean' } },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const host = stringFlag(ctx.flags, 'host') ?? '127.0.0.1';
    const port = intFlag(ctx.flags, 'port', 0) ?? 8080;
    if (port > 65535) throw new UsageError('--port must be 0-65535', '--port');
    const insecureNoAuth = ctx.flags['insecure-no-auth'] === true;
    const server = await runServeProcess({ host, port, insecureNoAuth }, ctx.env);
    const document = { listening: true, url: server.url, pid: process.pid, insecureNoAuth };
    const human = `HTTP API listening on ${server.url} (pid ${process.pid})${insecureNoAuth ? ' WITHOUT API keys' : ''}; SIGTERM or Ctrl-C stops it`;
    return { document, human, keepAlive: true };
  },
};
