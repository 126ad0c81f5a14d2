// What the dashboard's route modules share: the access a route needs, its options (hidden from the
// OpenAPI document: the dashboard is not the API) and the session of a request.

import type { FastifyRequest } from 'fastify';
import type { Scope } from '../api-keys.js';
import type { RouteDeps } from '../app.js';
import type { Session } from './session.js';

/** Who may reach a dashboard route: anyone, a session of a read key, or of a write key. */
export type Access = 'public' | Scope;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A dashboard route's access (default: read for GET/HEAD, write otherwise). */
    dashboard?: Access;
  }
  interface FastifyRequest {
    /** The dashboard session the request came with (set once its access was checked). */
    dashboardSession?: Session;
  }
}

/** What the dashboard's modules need: the server's deps and the session of a request. */
export interface DashboardDeps extends RouteDeps {
  sessionOf(request: FastifyRequest): Session | null;
}

/** Route options: hidden from the OpenAPI document, with the route's dashboard access. */
export const dashboardRoute = (access?: Access) => ({
  schema: { hide: true },
  ...(access === undefined ? {} : { config: { dashboard: access } }),
});

/** The session a checked route runs with (the access hook put it there). */
export function sessionIn(request: FastifyRequest): Session {
  const s = request.dashboardSession;
  if (!s) throw new Error('dashboard route reached without a session');
  return s;
}
