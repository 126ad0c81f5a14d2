// Event deliveries: `POST /v1/events` for callers with an API key, and provider webhooks verified by
// their HMAC signature. Both resume every worker waiting on the event's kind; a redelivered event
// (same provider and id) is deduplicated per worker and suspension by the producer.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RpCode, ValidationError } from '../../lib/errors.js';
import type { JsonValue } from '../../lib/policy/types.js';
import type { DeliverEventInput } from '../../producers/types.js';
import type { RouteDeps } from '../app.js';
import { webhookSecretVariable } from '../config.js';
import { ticketOut } from '../outcomes.js';
import { HttpCode, HttpProblem } from '../problem.js';
import { DeliveredOut, EventBody, ProviderParam } from '../schemas.js';
import { deliveryHeaders, signatureMatches } from '../webhooks.js';
import { problems, protectedRoute, publicRoute } from './common.js';

export const deliveryRoutes =
  (d: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const deliver = async (event: DeliverEventInput) => {
      const tickets = await d.producer.deliverEvent(event);
      return {
        event: { provider: event.provider, kind: event.kind, id: event.id },
        resumes: tickets.map(ticketOut),
      };
    };

    app.post(
      '/v1/events',
      {
        config: { scope: 'write' },
        schema: {
          ...protectedRoute('events', 'deliver an event: resumes every worker waiting on its kind'),
          body: EventBody,
          response: { 202: DeliveredOut, '4xx': problems },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const answer = await deliver({
          provider: b.provider,
          kind: b.kind,
          id: b.id,
          ...(b.payload === undefined ? {} : { payload: b.payload as JsonValue }),
          ...(b.dedupe_key === undefined ? {} : { dedupe_key: b.dedupe_key }),
        });
        return reply.code(202).send(answer);
      },
    );

    // The body stays bytes until its signature is checked: this scope's JSON parser does not parse.
    await app.register(async (hooks) => {
      hooks.removeAllContentTypeParsers();
      hooks.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
        done(null, body),
      );
      hooks.withTypeProvider<import('fastify-type-provider-zod').ZodTypeProvider>().post(
        '/v1/webhooks/:provider',
        {
          schema: {
            ...publicRoute(
              'events',
              'a provider webhook (GitHub headers as they are): HMAC-SHA256 of the raw body with WEBHOOK_SECRET_<PROVIDER>',
            ),
            params: ProviderParam,
            response: { 202: DeliveredOut, '4xx': problems },
          },
        },
        async (request, reply) => {
          const provider = request.params.provider;
          const secret = d.config.webhookSecrets.get(provider);
          if (secret === undefined)
            throw new HttpProblem(
              404,
              HttpCode.UnknownProvider,
              `no webhook secret for provider "${provider}" (set ${webhookSecretVariable(provider)})`,
            );
          const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          if (!signatureMatches(secret, raw, request.headers))
            throw new HttpProblem(
              401,
              HttpCode.BadSignature,
              'the X-Hub-Signature-256 (or X-Webhook-Signature-256) header is missing or does not match the body',
            );
          const { kind, id } = deliveryHeaders(request.headers);
          const missing = [
            ...(kind === null
              ? [{ path: 'header.x-github-event', message: 'the event kind is required' }]
              : []),
            ...(id === null
              ? [{ path: 'header.x-github-delivery', message: 'the delivery id is required' }]
              : []),
          ];
          if (kind === null || id === null)
            throw new ValidationError(
              RpCode.InvalidInput,
              'invalid webhook: X-GitHub-Event (or X-Webhook-Event) and X-GitHub-Delivery (or X-Webhook-Delivery) are required',
              missing,
            );
          let payload: JsonValue;
          try {
            payload = JSON.parse(raw.toString('utf8')) as JsonValue;
          } catch (err) {
            throw new HttpProblem(400, HttpCode.MalformedJson, `malformed JSON: ${(err as Error).message}`);
          }
          return reply.code(202).send(await deliver({ provider, kind, id, payload }));
        },
      );
    });
  };
