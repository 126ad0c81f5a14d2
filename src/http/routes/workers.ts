// /v1/workers: register, read, list, lifecycle events, suspend (with an optional resume token),
// close and moving the timeout. Each route is one producer call.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { unknownWorker } from '../../lib/policy/messages.js';
import type { JsonValue, SuspendInitiator, WorkerMode } from '../../lib/policy/types.js';
import type { ListFilter } from '../../producers/listing.js';
import type { RouteDeps } from '../app.js';
import { loose } from '../outcomes.js';
import { HttpCode, HttpProblem } from '../problem.js';
import { issueToken } from '../resume-tokens.js';
import {
  CloseBody,
  EventsOut,
  ListQuery,
  PageOut,
  RegisterBody,
  SuspendBody,
  SuspendOut,
  TimeoutBody,
  WorkerIdParam,
  WorkerSummaryOut,
} from '../schemas.js';
import { problems, protectedRoute } from './common.js';

export const workerRoutes =
  (d: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/workers',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('workers', 'register a running worker'),
          body: RegisterBody,
          response: { 201: WorkerSummaryOut, '4xx': problems },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const summary = await d.producer.registerWorker({
          name: b.name,
          task: b.task,
          ...(b.id === undefined ? {} : { id: b.id }),
          ...(b.mode === undefined ? {} : { mode: b.mode as WorkerMode }),
          ...(b.config === undefined ? {} : { config: b.config as JsonValue }),
          ...(b.transcript === undefined ? {} : { transcript: b.transcript as JsonValue }),
          ...(b.parent_worker_id === undefined ? {} : { parentWorkerId: b.parent_worker_id }),
        });
        return reply.code(201).send(loose(summary));
      },
    );

    app.get(
      '/v1/workers/:id',
      {
        config: { scope: 'read' },
        schema: {
          ...protectedRoute('workers', "a worker's summary"),
          params: WorkerIdParam,
          response: { 200: WorkerSummaryOut, '4xx': problems },
        },
      },
      async (request) => {
        const summary = await d.producer.getWorker(request.params.id);
        if (!summary) throw unknownWorker(request.params.id);
        return loose(summary);
      },
    );

    app.get(
      '/v1/workers',
      {
        config: { scope: 'read' },
        schema: {
          ...protectedRoute('workers', 'one page of workers matching the filters'),
          querystring: ListQuery,
          response: { 200: PageOut, '4xx': problems },
        },
      },
      async (request) => {
        const q = request.query;
        const filter: ListFilter = {
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.reason === undefined ? {} : { reason: q.reason }),
          ...(q.suspended_before === undefined ? {} : { suspendedBefore: q.suspended_before }),
          ...(q.suspended_after === undefined ? {} : { suspendedAfter: q.suspended_after }),
          ...(q.deadline_before === undefined ? {} : { deadlineBefore: q.deadline_before }),
          ...(q.overdue === undefined ? {} : { overdue: q.overdue === 'true' }),
          ...(q.order_by === undefined ? {} : { orderBy: q.order_by }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        };
        const page = await d.producer.listWorkers(filter);
        return { items: page.items.map(loose), next_cursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/workers/:id/events',
      {
        config: { scope: 'read' },
        schema: {
          ...protectedRoute('workers', "the worker's lifecycle events, oldest first (the last 32)"),
          params: WorkerIdParam,
          response: { 200: EventsOut, '4xx': problems },
        },
      },
      async (request) => {
        const id = request.params.id;
        const events = await d.store.events(id);
        if (events.length === 0 && !(await d.producer.getWorker(id))) throw unknownWorker(id);
        return {
          items: events.map((e) => ({
            type: e.type,
            version: e.version,
            at: new Date(e.atMs).toISOString(),
            at_ms: e.atMs,
            data: e.data,
          })),
        };
      },
    );

    app.post(
      '/v1/workers/:id/suspend',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('workers', 'suspend a running worker (optionally with a resume link)'),
          params: WorkerIdParam,
          body: SuspendBody,
          response: { 200: SuspendOut, '4xx': problems },
        },
      },
      async (request) => {
        const b = request.body ?? {};
        const wantsToken = b.resume_token !== undefined && b.resume_token !== false;
        const secret = d.config.resumeTokenSecret;
        // Checked before the suspend: a request the server cannot fully answer changes nothing.
        if (wantsToken && secret === null)
          throw new HttpProblem(
            422,
            HttpCode.TokensDisabled,
            'this server issues no resume tokens: set RESUME_TOKEN_SECRET (at least 32 characters)',
          );
        const summary = await d.producer.suspend(request.params.id, {
          ...(b.reason === undefined ? {} : { reason: b.reason }),
          ...(b.initiator === undefined ? {} : { initiator: b.initiator as SuspendInitiator }),
          ...(b.conditions === undefined ? {} : { conditions: b.conditions as JsonValue }),
          ...(b.expect_version === undefined ? {} : { expectVersion: b.expect_version }),
          ...(b.suspended_at_turn === undefined ? {} : { suspendedAtTurn: b.suspended_at_turn }),
          ...(b.input_schema === undefined ? {} : { inputSchema: b.input_schema as JsonValue }),
        });
        if (!wantsToken || secret === null || summary.status !== 'suspended' || !summary.suspension)
          return loose(summary);
        const ttlMs = typeof b.resume_token === 'object' ? b.resume_token.ttl_ms : d.config.resumeTokenTtlMs;
        const expiresAtMs = d.clock() + ttlMs;
        const token = issueToken(secret, {
          workerId: summary.id,
          epoch: summary.suspension.epoch,
          expiresAtMs,
        });
        const base = d.config.publicUrl ?? `${request.protocol}://${request.host}`;
        return {
          ...loose(summary),
          resume_token: token,
          resume_url: `${base}/v1/resume/${token}`,
          resume_token_expires_at: new Date(expiresAtMs).toISOString(),
        };
      },
    );

    app.post(
      '/v1/workers/:id/close',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('workers', 'close (cancel, or with graceful: stop) a worker in any status'),
          params: WorkerIdParam,
          body: CloseBody,
          response: { 200: WorkerSummaryOut, '4xx': problems },
        },
      },
      async (request) =>
        loose(await d.producer.close(request.params.id, { graceful: request.body?.graceful ?? false })),
    );

    app.post(
      '/v1/workers/:id/timeout',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('workers', "move the current suspension's armed timeout"),
          params: WorkerIdParam,
          body: TimeoutBody,
          response: { 200: WorkerSummaryOut, '4xx': problems },
        },
      },
      async (request) => {
        const b = request.body;
        const change = b.by_ms !== undefined ? { byMs: b.by_ms } : { until: b.until as number | string };
        const opts = b.expect_epoch === undefined ? {} : { expectEpoch: b.expect_epoch };
        return loose(await d.producer.extendTimeout(request.params.id, change, opts));
      },
    );
  };
