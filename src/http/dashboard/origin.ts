// The Origin check of the dashboard's writes (and of the login form): a state-changing request must
// come from a page of this server.

import type { FastifyRequest } from 'fastify';
import { HttpCode, HttpProblem } from '../problem.js';

/**
 * An Origin header (every current browser sends one on POST) must name this host or PUBLIC_URL. A
 * request without one passes unless the browser says it is cross-site (Sec-Fetch-Site): a client
 * that is not a browser still needs the session cookie and, for the forms, the CSRF token.
 * Returns the refusal, or null.
 */
export function originRefusal(request: FastifyRequest, publicUrl: string | null): HttpProblem | null {
  const origin = request.headers.origin;
  const allowed = [
    `${request.protocol}://${request.host}`,
    ...(publicUrl ? [new URL(publicUrl).origin] : []),
  ];
  if (origin === undefined) {
    const site = request.headers['sec-fetch-site'];
    if (site === undefined || site === 'same-origin' || site === 'none') return null;
  } else if (allowed.includes(origin)) return null;
  return new HttpProblem(
    403,
    HttpCode.Forbidden,
    `a dashboard write from another origin (${origin ?? 'unknown'}) is refused`,
  );
}
