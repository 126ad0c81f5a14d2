// The dashboard's pages (GET, read scope): the workers list, a worker's page, the overview. Each
// reads through the producer and the store the API uses; a bad query is RP-INVALID-INPUT (422).

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { RpCode, ValidationError } from '../../lib/errors.js';
import { unknownWorker } from '../../lib/policy/messages.js';
import { type Html, page } from './html.js';
import { ListPageQuery, listBody, listFilter } from './list-page.js';
import { readOverview } from './overview.js';
import { overviewBody } from './overview-page.js';
import { type DashboardDeps, dashboardRoute, sessionIn } from './route.js';
import { csrfToken } from './session.js';
import { type ActionResult, workerBody } from './worker-page.js';

/** A zod parse of a page's query or form: RP-INVALID-INPUT naming each bad field. */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, place: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({
    path: [place, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = issues[0];
  throw new ValidationError(
    RpCode.InvalidInput,
    `invalid ${place}${first ? `: ${first.path}: ${first.message}` : ''}`,
    issues,
  );
}

/** Sends a dashboard page for the request's session. */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  frame: { title: string; tab?: 'workers' | 'overview'; scripts?: string[]; styles?: string[] },
  body: Html,
): FastifyReply {
  const s = sessionIn(request);
  const who = { name: s.name, scope: s.scope, insecure: s.insecure };
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(page({ ...frame, who, csrf: csrfToken(s) }, body));
}

/** A worker's page, optionally with an action's result on top. */
export async function renderWorker(
  d: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  result?: ActionResult,
): Promise<FastifyReply> {
  const [summary, record, events] = await Promise.all([
    d.producer.getWorker(id),
    d.producer.getRecord(id),
    d.store.events(id),
  ]);
  if (!summary) throw unknownWorker(id);
  const s = sessionIn(request);
  const body = workerBody({
    summary,
    record,
    events: events.slice(-32),
    canWrite: s.scope === 'write',
    csrf: csrfToken(s),
    nowMs: d.clock(),
    ...(result ? { result } : {}),
  });
  return sendPage(request, reply, { title: `Worker ${id}`, tab: 'workers' }, body);
}

export const viewRoutes =
  (d: DashboardDeps): FastifyPluginAsync =>
  async (app) => {
    app.get('/dashboard', dashboardRoute('read'), async (request, reply) => {
      const q = parseOr422(ListPageQuery, request.query, 'query');
      const result = await d.producer.listWorkers(listFilter(q));
      return sendPage(
        request,
        reply,
        { title: 'Suspended workers', tab: 'workers' },
        listBody(q, result, d.clock()),
      );
    });

    app.get<{ Params: { id: string } }>(
      '/dashboard/workers/:id',
      dashboardRoute('read'),
      async (request, reply) => renderWorker(d, request, reply, request.params.id),
    );

    app.get('/dashboard/overview', dashboardRoute('read'), async (request, reply) => {
      const data = await readOverview(d, d.clock());
      return sendPage(
        request,
        reply,
        {
          title: 'Overview',
          tab: 'overview',
          scripts: ['uPlot.iife.min.js', 'overview.js'],
          styles: ['uPlot.min.css'],
        },
        overviewBody(data),
      );
    });
  };
