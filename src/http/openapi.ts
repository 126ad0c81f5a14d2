// The OpenAPI document's transforms: fastify-type-provider-zod's (zod schemas → JSON Schema), plus
// a correction @fastify/swagger cannot make by itself: a route whose body may be left out (close,
// suspend, resume, a resume link) documents its requestBody as not required.

import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';

const OPTIONAL_BODY = 'x-rp-optional-body';

export const transform: SwaggerTransform = (route) => {
  const out = jsonSchemaTransform(route);
  const body = (route.schema as { body?: ZodType } | undefined)?.body;
  if (body && typeof body.safeParse === 'function' && body.safeParse(undefined).success && out.schema)
    (out.schema as Record<string, unknown>)[OPTIONAL_BODY] = true;
  return out;
};

export const transformObject: SwaggerTransformObject = (document) => {
  const doc = jsonSchemaTransformObject(document) as {
    paths?: Record<
      string,
      Record<string, Record<string, unknown> & { requestBody?: { required?: boolean } }>
    >;
  };
  for (const ops of Object.values(doc.paths ?? {}))
    for (const op of Object.values(ops)) {
      if (!op[OPTIONAL_BODY]) continue;
      delete op[OPTIONAL_BODY];
      if (op.requestBody) op.requestBody.required = false;
    }
  return doc as ReturnType<SwaggerTransformObject>;
};
