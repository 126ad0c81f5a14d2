// Waits: disarming what a suspended worker waits for, and batches of resumes or closes over the
// workers a listing filter matches. Each is one producer call; a batch answers with each worker's
// own request (or refusal), as the library does.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BatchFilter } from '../../producers/batches.js';
import type { RouteDeps } from '../app.js';
import { loose, ticketOut } from '../outcomes.js';
import {
  CancelWaitBody,
  CloseManyBody,
  CloseManyOut,
  ResumeManyBody,
  ResumeManyOut,
  WorkerIdParam,
  WorkerSummaryOut,
} from '../schemas.js';
import { problems, protectedRoute, resumeArgument } from './common.js';

type FilterIn = {
  reason?: string | undefined;
  suspended_before?: number | string | undefined;
  suspended_after?: number | string | undefined;
  deadline_before?: number | string | undefined;
  overdue?: boolean | undefined;
};

function batchFilter(f: FilterIn): BatchFilter {
  return {
    status: 'suspended',
    ...(f.reason === undefined ? {} : { reason: f.reason }),
    ...(f.suspended_before === undefined ? {} : { suspendedBefore: f.suspended_before }),
    ...(f.suspended_after === undefined ? {} : { suspendedAfter: f.suspended_after }),
    ...(f.deadline_before === undefined ? {} : { deadlineBefore: f.deadline_before }),
    ...(f.overdue === undefined ? {} : { overdue: f.overdue }),
  };
}

const refusedOut = (r: { workerId: string; error: { code: string; message: string } }) => ({
  worker_id: r.workerId,
  error: r.error,
});

export const waitRoutes =
  (d: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/workers/:id/cancel-wait',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('workers', 'disarm the timeout and/or trigger; the worker stays suspended'),
          params: WorkerIdParam,
          body: CancelWaitBody,
          response: { 200: WorkerSummaryOut, '4xx': problems },
        },
      },
      async (request) => {
        const conditions = request.body?.conditions;
        return loose(await d.producer.cancelWait(request.params.id, conditions ? { conditions } : {}));
      },
    );

    app.post(
      '/v1/batches/resume',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('batches', 'one resume request per suspended worker the filter matches'),
          body: ResumeManyBody,
          response: { 200: ResumeManyOut, '4xx': problems },
        },
      },
      async (request) => {
        const b = request.body;
        const r = await d.producer.resumeMany(
          batchFilter(b.filter),
          resumeArgument(b),
          b.continue_transcript ?? null,
          {
            dryRun: b.dry_run ?? false,
          },
        );
        return {
          matched: r.matched,
          worker_ids: r.workerIds,
          dry_run: r.dryRun,
          requests: r.requests.map(ticketOut),
          refused: r.refused.map(refusedOut),
        };
      },
    );

    app.post(
      '/v1/batches/close',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('batches', 'close every suspended worker the filter matches'),
          body: CloseManyBody,
          response: { 200: CloseManyOut, '4xx': problems },
        },
      },
      async (request) => {
        const b = request.body;
        const r = await d.producer.closeMany(batchFilter(b.filter), {
          dryRun: b.dry_run ?? false,
          graceful: b.graceful ?? false,
        });
        return {
          matched: r.matched,
          worker_ids: r.workerIds,
          dry_run: r.dryRun,
          closed: r.closed.map(loose),
          refused: r.refused.map(refusedOut),
        };
      },
    );
  };
