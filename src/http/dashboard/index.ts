// The operator dashboard (/dashboard) and bull-board (/admin/queues), one fastify plugin that
// `serve` registers. Pages are rendered on the server; the login turns an API key into a session
// cookie (session.ts). Who may do what: a read key sees everything, a write key also gets the
// buttons. Writes are CSRF-safe three ways: the cookie is SameSite=Strict, each form carries the
// session's CSRF token, and a request whose Origin is not this server's is refused. These routes
// are hidden from the OpenAPI document: they are not the API.

import fastifyCookie from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { allows } from '../api-keys.js';
import type { RouteDeps } from '../app.js';
import { HttpCode, HttpProblem, toProblem } from '../problem.js';
import { actionRoutes } from './actions.js';
import { assetRoutes } from './assets.js';
import { html, page } from './html.js';
import { loginRoutes } from './login.js';
import { originRefusal } from './origin.js';
import { mountQueueBoard } from './queue-board.js';
import type { Access, DashboardDeps } from './route.js';
import {
  csrfMatches,
  csrfToken,
  insecureSession,
  newInsecureSecret,
  readSession,
  SESSION_COOKIE,
} from './session.js';
import { viewRoutes } from './views.js';

const FORM_LIMIT = 64 * 1024;
/** The pages' scripts and styles come from this server; bars' widths are inline style attributes. */
const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

export const dashboardRoutes =
  (d: RouteDeps): FastifyPluginAsync =>
  async (app) => {
    await app.register(fastifyCookie);
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const insecure = d.insecureNoAuth ? insecureSession(newInsecureSecret()) : null;
    const deps: DashboardDeps = {
      ...d,
      sessionOf: (request) =>
        insecure ?? readSession(d.config.apiKeys, request.cookies[SESSION_COOKIE], d.clock()),
    };

    // The refusals are answered here rather than thrown: bull-board's routes have an error handler
    // of their own, which would turn them into 500s.
    app.addHook('onRequest', async (request, reply) => {
      const access = accessOf(request);
      if (access === 'public') return;
      const session = deps.sessionOf(request);
      if (!session) {
        if (reading(request))
          return reply.redirect(`/dashboard/login?next=${encodeURIComponent(request.url)}`, 303);
        return errorPage(
          new HttpProblem(401, HttpCode.Unauthorized, 'log in to the dashboard first (/dashboard/login)'),
          request,
          reply,
          deps,
        );
      }
      if (!allows(session.scope, access)) {
        const detail = `API key "${session.name}" has scope ${session.scope}; this needs ${access}`;
        return errorPage(new HttpProblem(403, HttpCode.Forbidden, detail), request, reply, deps);
      }
      if (!reading(request)) {
        const refused = originRefusal(request, d.config.publicUrl);
        if (refused) return errorPage(refused, request, reply, deps);
      }
      request.dashboardSession = session;
    });
    // The forms' CSRF token, once the body is read (bull-board's own requests rely on the
    // SameSite cookie and the Origin check above: its client sends no token).
    app.addHook('preHandler', async (request, reply) => {
      const session = request.dashboardSession;
      if (!session || reading(request) || request.url.startsWith('/admin/')) return;
      const given =
        (request.body as Record<string, unknown> | undefined)?.csrf ?? request.headers['x-csrf-token'];
      if (!csrfMatches(session, given)) {
        const detail = 'missing or wrong CSRF token: reload the page and try again';
        return errorPage(new HttpProblem(403, HttpCode.Forbidden, detail), request, reply, deps);
      }
    });

    // No page of ours may be framed (a framed button is a click away from a forged write), and
    // ours run only their own scripts. bull-board's client is not ours: it only gets the framing rule.
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-frame-options', 'DENY');
      if (
        String(reply.getHeader('content-type') ?? '').startsWith('text/html') &&
        !request.url.startsWith('/admin/')
      )
        reply.header('content-security-policy', PAGE_POLICY).header('referrer-policy', 'same-origin');
    });

    app.setErrorHandler((err, request, reply) => errorPage(err, request, reply, deps));

    await app.register(assetRoutes());
    await app.register(loginRoutes(deps));
    await app.register(viewRoutes(deps));
    await app.register(actionRoutes(deps));
    await mountQueueBoard(app, d.queues);
  };

const reading = (request: FastifyRequest) => request.method === 'GET' || request.method === 'HEAD';

function accessOf(request: FastifyRequest): Access {
  return request.routeOptions.config.dashboard ?? (reading(request) ? 'read' : 'write');
}

/** Errors as a page for a browser (with the problem's status and code), else problem+json. */
function errorPage(err: unknown, request: FastifyRequest, reply: FastifyReply, d: DashboardDeps) {
  const answer = toProblem(err);
  if (answer.bug) request.log.error({ err }, 'dashboard request failed with an unexpected error');
  const p = answer.problem;
  reply.code(p.status).headers(answer.headers);
  if (!(request.headers.accept ?? '').includes('text/html'))
    return reply.type('application/problem+json').send(JSON.stringify(p));
  const session = d.sessionOf(request);
  const who = session ? { name: session.name, scope: session.scope, insecure: session.insecure } : null;
  const body = html`<h1>${p.title}</h1>
<p class="error" role="alert"><code>${p.code}</code> ${p.detail}</p>
<p><a href="/dashboard">Back to the dashboard</a>${p.status === 401 ? html` · <a href="/dashboard/login">Log in</a>` : ''}</p>`;
  return reply
    .type('text/html; charset=utf-8')
    .send(page({ title: p.title, who, csrf: session ? csrfToken(session) : null }, body));
}
