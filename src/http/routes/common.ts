// OpenAPI pieces every route module shares: the problem response and a protected route's metadata.

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
