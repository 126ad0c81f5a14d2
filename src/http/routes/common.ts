// OpenAPI pieces every route module shares: the problem response and a protected route's metadata.

import type { JsonValue } from '../../lib/policy/types.js';
import { ProblemOut } from '../schemas.js';

/** Every 4xx/5xx answer: application/problem+json with a stable code. */
export const problems = {
  description: 'a problem (application/problem+json) with a stable code',
  content: { 'application/problem+json': { schema: ProblemOut } },
};

/** Tags, summary and the API-key requirement of a route that needs a key. */
export const protectedRoute = (tag: string, summary: string) => ({
  tags: [tag],
  summary,
  security: [{ apiKey: [] }],
});

/** Tags and summary of a public route. */
export const publicRoute = (tag: string, summary: string) => ({ tags: [tag], summary, security: [] });

/** A resume body's argument to `producer.resume`: `options` is Harn's argument, `input` always the input. */
export const resumeArgument = (b: { input?: unknown; options?: unknown }): JsonValue | undefined =>
  'options' in b ? (b.options as JsonValue) : 'input' in b ? { input: b.input as JsonValue } : undefined;
