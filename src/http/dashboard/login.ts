// The dashboard's login and logout: the API key typed once into a form becomes a session cookie
// (HttpOnly, SameSite=Strict, Secure behind https). A wrong key is refused with RP-UNAUTHORIZED
// and changes nothing; the form itself is checked for its Origin (no login CSRF).

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { findKey } from '../api-keys.js';
import { HttpCode } from '../problem.js';
import { html, page } from './html.js';
import { originRefusal } from './origin.js';
import { type DashboardDeps, dashboardRoute, sessionIn } from './route.js';
import { issueSession, SESSION_COOKIE, SESSION_TTL_MS } from './session.js';

/** Where to go after the login: a dashboard or bull-board path of this server, nothing else. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string') return '/dashboard';
  const ours = /^\/(dashboard|admin\/queues)([/?#]|$)/.test(next) && /^[\x21-\x7e]*$/.test(next);
  return ours ? next : '/dashboard';
}

function loginPage(next: string, error: string | null): string {
  return page(
    { title: 'Log in', who: null, csrf: null },
    html`<h1>resume-processor dashboard</h1>
<form method="post" action="/dashboard/login" class="login">
  <p>Log in with an API key of this server (<code>API_KEYS</code>): a read key sees the workers, a write key
  can also resume, extend and close them. The key is kept in a cookie for this browser only.</p>
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <label>API key <input type="password" name="key" autocomplete="current-password" required autofocus></label>
  <input type="hidden" name="next" value="${next}">
  <button type="submit">Log in</button>
</form>`,
  );
}

const secure = (request: FastifyRequest, publicUrl: string | null) =>
  request.protocol === 'https' || (publicUrl?.startsWith('https:') ?? false);

export const loginRoutes =
  (d: DashboardDeps): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: { next?: string } }>(
      '/dashboard/login',
      dashboardRoute('public'),
      async (request, reply) => {
        const next = safeNext(request.query.next);
        if (d.sessionOf(request)) return reply.redirect(next, 303);
        return reply.type('text/html; charset=utf-8').send(loginPage(next, null));
      },
    );

    app.post<{ Body: { key?: string; next?: string } }>(
      '/dashboard/login',
      dashboardRoute('public'),
      async (request, reply) => {
        const refused = originRefusal(request, d.config.publicUrl);
        if (refused) throw refused;
        const next = safeNext(request.body?.next);
        if (d.insecureNoAuth) return reply.redirect(next, 303);
        const given = request.body?.key;
        const key = typeof given === 'string' && given !== '' ? findKey(d.config.apiKeys, given) : null;
        if (!key) {
          request.log.info('dashboard login refused: not a valid API key');
          return reply
            .code(401)
            .type('text/html; charset=utf-8')
            .send(loginPage(next, `${HttpCode.Unauthorized}: that is not a valid API key of this server`));
        }
        request.log.info({ apiKey: key.name }, 'dashboard login');
        return setSession(reply, issueSession(key, d.clock()), secure(request, d.config.publicUrl)).redirect(
          next,
          303,
        );
      },
    );

    // Any signed-in key may log out; the CSRF token is checked like any write's.
    app.post('/dashboard/logout', dashboardRoute('read'), async (request, reply) => {
      sessionIn(request);
      return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/dashboard/login', 303);
    });
  };

function setSession(reply: FastifyReply, value: string, isSecure: boolean): FastifyReply {
  return reply.setCookie(SESSION_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: isSecure,
    maxAge: SESSION_TTL_MS / 1000,
  });
}
