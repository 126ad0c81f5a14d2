// The worker page's buttons (write scope, CSRF token checked by the plugin): resume with input,
// move the deadline, close. Each is the producer call its API route makes (POST
// /v1/workers/{id}/resume with ?wait_ms, /timeout with by_ms, /close), taking the session instead of
// a Bearer key; the result, or the problem with its stable code, is shown on the worker's page with
// the status the API would answer.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RpCode, ValidationError } from '../../lib/errors.js';
import type { JsonValue } from '../../lib/policy/types.js';
import { outcomeWithin, rejection } from '../outcomes.js';
import { toProblem } from '../problem.js';
import { type DashboardDeps, dashboardRoute } from './route.js';
import { parseOr422, renderWorker } from './views.js';
import type { ActionResult } from './worker-page.js';

/** How long the resume button waits for a consumer's outcome before it reports the job as queued. */
const RESUME_WAIT_MS = 10_000;

const ResumeForm = z.object({
  csrf: z.string(),
  input: z.string().max(100_000).default(''),
  json: z.literal('on').optional(),
  digest: z.literal('on').optional(),
  action: z.string().optional(),
});
const ExtendForm = z.object({
  csrf: z.string(),
  minutes: z.coerce
    .number()
    .int('whole minutes')
    .min(-525_600)
    .max(525_600)
    .refine((m) => m !== 0, 'must not be 0'),
});
const CloseForm = z.object({ csrf: z.string(), graceful: z.literal('on').optional() });

type Params = { Params: { id: string } };

/** The input the form gives: text as it is, JSON parsed, nothing when the box is empty. */
function resumeInput(form: z.output<typeof ResumeForm>): JsonValue | undefined {
  if (!form.json) return form.input === '' ? undefined : form.input;
  try {
    return JSON.parse(form.input) as JsonValue;
  } catch (err) {
    const message = `not JSON (untick "the input is JSON" to send it as text): ${err instanceof Error ? err.message : String(err)}`;
    throw new ValidationError(RpCode.InvalidInput, `invalid form: form.input: ${message}`, [
      { path: 'form.input', message },
    ]);
  }
}

export const actionRoutes =
  (d: DashboardDeps): FastifyPluginAsync =>
  async (app) => {
    /** Runs an action; its failure becomes the page's problem banner and status. */
    const act = async (
      request: FastifyRequest<Params>,
      reply: FastifyReply,
      run: () => Promise<ActionResult>,
    ): Promise<FastifyReply> => {
      const id = request.params.id;
      let result: ActionResult;
      try {
        result = await run();
      } catch (err) {
        const answer = toProblem(err);
        if (answer.bug) throw err;
        // An unknown worker has no page to show the result on: the plugin's error page says it.
        if (answer.problem.status === 404) throw err;
        reply.code(answer.problem.status);
        result = { ok: false, title: answer.problem.code, detail: answer.problem.detail };
      }
      request.log.info({ workerId: id, ok: result.ok, result: result.title }, 'dashboard action');
      return renderWorker(d, request, reply, id, result);
    };

    app.post<Params>('/dashboard/workers/:id/resume', dashboardRoute('write'), async (request, reply) =>
      act(request, reply, async () => {
        const form = parseOr422(ResumeForm, request.body, 'form');
        const input = resumeInput(form);
        const ticket = await d.producer.resume(
          request.params.id,
          input === undefined ? undefined : { input },
          form.digest ? false : null,
        );
        const outcome = await outcomeWithin(ticket, RESUME_WAIT_MS);
        if (!outcome)
          return {
            ok: true,
            title: 'Queued',
            detail: `resume request ${ticket.jobId} is queued; no consumer answered within ${RESUME_WAIT_MS / 1000} s (is one running?)`,
          };
        if (outcome.outcome === 'rejected') throw rejection(outcome);
        if (outcome.outcome === 'blocked')
          return {
            ok: false,
            title: 'Blocked',
            detail: `a PreResume hook blocked the resume: ${outcome.reason}`,
          };
        if (outcome.outcome === 'expired')
          return { ok: false, title: 'Expired', detail: 'the request expired before the worker suspended' };
        return {
          ok: true,
          title: 'Resumed',
          detail: `job ${ticket.jobId}: the worker runs again at version ${outcome.version} (respawn job ${outcome.respawnJobId})`,
        };
      }),
    );

    app.post<Params>('/dashboard/workers/:id/extend', dashboardRoute('write'), async (request, reply) =>
      act(request, reply, async () => {
        const form = parseOr422(ExtendForm, request.body, 'form');
        const summary = await d.producer.extendTimeout(request.params.id, { byMs: form.minutes * 60_000 });
        const deadline = summary.suspension?.deadline_ms;
        return {
          ok: true,
          title: 'Deadline moved',
          detail: `by ${form.minutes} min${deadline === undefined ? '' : `; the timeout is now due at ${new Date(deadline).toISOString()}`}`,
        };
      }),
    );

    app.post<Params>('/dashboard/workers/:id/close', dashboardRoute('write'), async (request, reply) =>
      act(request, reply, async () => {
        const form = parseOr422(CloseForm, request.body, 'form');
        const summary = await d.producer.close(request.params.id, { graceful: form.graceful === 'on' });
        return { ok: true, title: 'Closed', detail: `the worker is ${summary.status}` };
      }),
    );
  };
