// Resumes: the keyed route for callers with an API key, and the public route of the signed resume
// links. A link resumes exactly the suspension it was issued for and only once: its uses share one
// pinned job (the first use makes it, later ones are told the link is used), and the consumer
// refuses that job once the worker has left the suspension, so the first use wins through the
// normal compare-and-set and nothing else changes.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HarnCode } from '../../lib/errors.js';
import { inputSchemaError, schemaIssues } from '../../lib/input-schema.js';
import { invalidResumeInput } from '../../lib/policy/messages.js';
import { parseResumeOptions, resumeInputText } from '../../lib/policy/resume-options.js';
import type { JsonValue } from '../../lib/policy/types.js';
import { pinnedJobExists, resumePinned } from '../../producers/pinned-resume.js';
import type { RouteDeps } from '../app.js';
import { outcomeOut, outcomeWithin, rejection, ticketOut } from '../outcomes.js';
import { HttpCode, HttpProblem } from '../problem.js';
import { checkToken, tokenRequestKey } from '../resume-tokens.js';
import {
  IdempotencyHeaders,
  OutcomeOut,
  ResumeBody,
  TicketOut,
  TokenBody,
  TokenParam,
  WaitQuery,
  WorkerIdParam,
} from '../schemas.js';
import { problems, protectedRoute, publicRoute, resumeArgument } from './common.js';

export const resumeRoutes =
  (d: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/workers/:id/resume',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('resumes', 'resume a suspended worker (202 queued, or 200 with ?wait_ms)'),
          params: WorkerIdParam,
          querystring: WaitQuery,
          headers: IdempotencyHeaders,
          body: ResumeBody,
          response: { 200: OutcomeOut, 202: TicketOut, '4xx': problems },
        },
      },
      async (request, reply) => {
        const b = request.body ?? {};
        const key = request.headers['idempotency-key'];
        // `{input}` is always the input, whatever its shape: it goes in as an options dict.
        const arg = resumeArgument(b);
        const ticket = await d.producer.resume(request.params.id, arg, b.continue_transcript ?? null, {
          ...(key === undefined ? {} : { idempotencyKey: key }),
          ...(b.early_ttl_ms === undefined ? {} : { early: { ttlMs: b.early_ttl_ms } }),
        });
        const waitMs = request.query.wait_ms ?? 0;
        const outcome = waitMs > 0 ? await outcomeWithin(ticket, waitMs) : null;
        if (!outcome) return reply.code(202).send(ticketOut(ticket));
        if (outcome.outcome === 'rejected') throw rejection(outcome);
        return reply.code(200).send(outcomeOut(ticket.jobId, outcome));
      },
    );

    app.post(
      '/v1/resume/:token',
      {
        schema: {
          ...publicRoute('resumes', 'use a resume link (no API key: the token is the credential)'),
          params: TokenParam,
          querystring: WaitQuery,
          body: TokenBody,
          response: { 200: OutcomeOut, 202: TicketOut, '4xx': problems },
        },
      },
      async (request, reply) => {
        const secret = d.config.resumeTokenSecret;
        if (secret === null)
          throw new HttpProblem(401, HttpCode.TokenInvalid, 'this server accepts no resume tokens');
        const token = request.params.token;
        const check = checkToken(secret, token, d.clock());
        if (check.kind === 'invalid')
          throw new HttpProblem(401, HttpCode.TokenInvalid, `not a valid resume token: ${check.reason}`);
        if (check.kind === 'expired')
          throw new HttpProblem(
            410,
            HttpCode.TokenExpired,
            `the resume token expired at ${new Date(check.claims.expiresAtMs).toISOString()}`,
          );
        const { workerId, epoch } = check.claims;
        const requestKey = tokenRequestKey(token);
        const deps = { store: d.store, queues: d.queues, clock: d.clock };
        const worker = await d.producer.getWorker(workerId);
        const current = worker?.status === 'suspended' ? worker.suspension : null;
        if (!current || current.epoch !== epoch) {
          if (await pinnedJobExists(deps, workerId, requestKey)) throw used();
          throw stale(workerId, epoch);
        }
        const input = request.body?.input as JsonValue | undefined;
        // Blank input and the suspension's schema are checked here too (in the consumer's order), so
        // an input the consumer would refuse does not use the link up.
        if (input !== undefined && resumeInputText(parseResumeOptions({ input })).kind === 'invalid')
          throw invalidResumeInput(workerId);
        if (current.input_schema !== undefined) {
          const issues = schemaIssues(current.input_schema, input ?? null);
          if (issues.length > 0) throw inputSchemaError(workerId, issues);
        }
        const { ticket, joined } = await resumePinned(deps, {
          workerId,
          epoch,
          requestKey,
          ...(input === undefined ? {} : { input }),
        });
        if (joined) throw used();
        const waitMs = request.query.wait_ms ?? 0;
        const outcome = waitMs > 0 ? await outcomeWithin(ticket, waitMs) : null;
        if (!outcome) return reply.code(202).send(ticketOut(ticket));
        if (outcome.outcome === 'rejected') {
          const code = outcome.error.code;
          if (code === HarnCode.ResumeWorkerNotSuspended || code === HarnCode.ResumeWorkerClosed)
            throw stale(workerId, epoch);
          throw rejection(outcome);
        }
        return reply.code(200).send(outcomeOut(ticket.jobId, outcome));
      },
    );
  };

const used = () => new HttpProblem(410, HttpCode.TokenUsed, 'this resume link was used already');

const stale = (workerId: string, epoch: number) =>
  new HttpProblem(
    410,
    HttpCode.TokenStale,
    `the suspension this link was issued for (worker ${workerId}, epoch ${epoch}) is over`,
  );
