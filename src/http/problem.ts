// Errors as RFC 9457 problem details (`application/problem+json`): {type, title, status, code,
// detail, errors?}. The library's stable codes keep their meaning; each maps to one status. Codes of
// the HTTP surface itself (authentication, tokens, webhooks, framework refusals) are defined here.
// Anything without a mapping is a 500: a bug, logged with its stack.

import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HarnCode, ResumeProcessorError, RpCode, ValidationError } from '../lib/errors.js';
import { isTransportError } from '../producers/transport-errors.js';

export const HttpCode = {
  MalformedJson: 'RP-MALFORMED-JSON',
  BadRequest: 'RP-BAD-REQUEST',
  Unauthorized: 'RP-UNAUTHORIZED',
  Forbidden: 'RP-FORBIDDEN',
  NotFound: 'RP-NOT-FOUND',
  PayloadTooLarge: 'RP-PAYLOAD-TOO-LARGE',
  UnsupportedMediaType: 'RP-UNSUPPORTED-MEDIA-TYPE',
  RateLimited: 'RP-RATE-LIMITED',
  /** A resume token that is not one of ours (bad signature, garbled) or tokens are off. */
  TokenInvalid: 'RP-TOKEN-INVALID',
  TokenExpired: 'RP-TOKEN-EXPIRED',
  /** The token's one use happened already. */
  TokenUsed: 'RP-TOKEN-USED',
  /** The suspension the token was issued for is over (resumed, timed out, closed, suspended again). */
  TokenStale: 'RP-TOKEN-STALE',
  /** `resume_token` asked of a server without RESUME_TOKEN_SECRET. */
  TokensDisabled: 'RP-TOKENS-DISABLED',
  BadSignature: 'RP-BAD-SIGNATURE',
  UnknownProvider: 'RP-UNKNOWN-PROVIDER',
  NotReady: 'RP-NOT-READY',
} as const;
export type HttpErrorCode = (typeof HttpCode)[keyof typeof HttpCode];

export interface ProblemIssue {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: ProblemIssue[];
}

/** A refusal of the HTTP layer's own, thrown from handlers and hooks. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'HttpProblem';
  }
}

const STATUS_OF: Record<string, number> = {
  [RpCode.InvalidInput]: 422,
  [HarnCode.ResumeConditionsInvalid]: 422,
  [HarnCode.ResumeTimeoutUnsupported]: 422,
  [HarnCode.ResumeInputInvalid]: 422,
  [HarnCode.ResumeSnapshotInvalid]: 422,
  [RpCode.InputSchema]: 422,
  [HttpCode.TokensDisabled]: 422,
  [RpCode.UnknownWorker]: 404,
  [HttpCode.NotFound]: 404,
  [HttpCode.UnknownProvider]: 404,
  [HarnCode.SuspendWorkerNotRunning]: 409,
  [HarnCode.ResumeWorkerNotSuspended]: 409,
  [HarnCode.ResumeWorkerClosed]: 409,
  [HarnCode.ConcurrentResumeConflict]: 409,
  [RpCode.IdempotencyConflict]: 409,
  [RpCode.WorkerExists]: 409,
  [RpCode.VersionConflict]: 409,
  [RpCode.NoTimeout]: 409,
  [HttpCode.MalformedJson]: 400,
  [HttpCode.BadRequest]: 400,
  [HttpCode.Unauthorized]: 401,
  [HttpCode.TokenInvalid]: 401,
  [HttpCode.BadSignature]: 401,
  [HttpCode.Forbidden]: 403,
  [HttpCode.TokenExpired]: 410,
  [HttpCode.TokenUsed]: 410,
  [HttpCode.TokenStale]: 410,
  [HttpCode.PayloadTooLarge]: 413,
  [HttpCode.UnsupportedMediaType]: 415,
  [HttpCode.RateLimited]: 429,
  [RpCode.RedisUnavailable]: 503,
  [RpCode.LockUnavailable]: 503,
  [RpCode.NotReplicated]: 503,
  [HarnCode.ResumeTriggerRegistrationFailed]: 503,
  [HttpCode.NotReady]: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The status a stable code answers with (500: a code the API does not expect to meet). */
export const statusOf = (code: string) => STATUS_OF[code] ?? 500;

export function problem(status: number, code: string, detail: string, errors?: ProblemIssue[]): Problem {
  return {
    type: `urn:resume-processor:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** A library error's message without its leading `CODE: `. */
const detailOf = (err: ResumeProcessorError) =>
  err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;

function issuesOf(err: ResumeProcessorError): ProblemIssue[] | undefined {
  if (err instanceof ValidationError) return [...err.issues];
  const issues = err.details?.issues;
  if (!Array.isArray(issues)) return undefined;
  return issues.map((i: { path?: unknown; message?: unknown }) => ({
    path: String(i.path ?? ''),
    message: String(i.message ?? ''),
  }));
}

/** Framework refusals (parsing, limits, validation) by fastify's error code. */
const FRAMEWORK: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, HttpCode.PayloadTooLarge],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, HttpCode.UnsupportedMediaType],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, HttpCode.BadRequest],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, HttpCode.MalformedJson],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, HttpCode.MalformedJson],
};

const VALIDATION_PLACE: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Any error, as the problem to answer with and the extra headers it needs. */
export function toProblem(err: unknown): { problem: Problem; headers: Record<string, string>; bug: boolean } {
  if (err instanceof HttpProblem)
    return { problem: problem(err.status, err.code, err.detail), headers: err.headers, bug: false };
  if (err instanceof ResumeProcessorError) {
    const status = statusOf(err.code);
    const headers: Record<string, string> = status === 503 ? { 'retry-after': '1' } : {};
    return { problem: problem(status, err.code, detailOf(err), issuesOf(err)), headers, bug: status >= 500 };
  }
  if (isTransportError(err))
    return {
      problem: problem(503, RpCode.RedisUnavailable, `cannot reach Redis (${err.message}); retry shortly`),
      headers: { 'retry-after': '1' },
      bug: false,
    };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const place =
      VALIDATION_PLACE[(err as { validationContext?: string }).validationContext ?? ''] ?? 'request';
    const errors = err.validation.map((v) => ({
      path: `${place}${v.instancePath === '/' ? '' : v.instancePath.replace(/\//g, '.')}`,
      message: v.message ?? 'is invalid',
    }));
    const first = errors[0];
    const detail = first ? `invalid ${place}: ${first.path}: ${first.message}` : `invalid ${place}`;
    return { problem: problem(422, RpCode.InvalidInput, detail, errors), headers: {}, bug: false };
  }
  const fe = err as Partial<FastifyError> & { message?: string };
  const known = fe.code ? FRAMEWORK[fe.code] : undefined;
  if (known) return { problem: problem(known[0], known[1], fe.message ?? known[1]), headers: {}, bug: false };
  // JSON.parse's SyntaxError (and the prototype-poisoning refusal) come without a fastify code.
  if (
    fe.statusCode === 400 &&
    (err instanceof SyntaxError || /JSON|__proto__|constructor/.test(fe.message ?? ''))
  )
    return {
      problem: problem(400, HttpCode.MalformedJson, `malformed JSON: ${fe.message}`),
      headers: {},
      bug: false,
    };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return {
      problem: problem(fe.statusCode, HttpCode.BadRequest, fe.message ?? 'bad request'),
      headers: {},
      bug: false,
    };
  const message = err instanceof Error ? err.message : String(err);
  return { problem: problem(500, RpCode.Internal, `internal error: ${message}`), headers: {}, bug: true };
}
