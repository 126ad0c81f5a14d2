// Environment configuration, validated once at start and frozen. Only composition roots call this.

import { z } from 'zod';
import { RpCode, ValidationError } from './errors.js';
import type { ConnectionSpec } from './redis.js';
import { DURABILITY_MODES } from './store/durability.js';
import { MAX_PARTITIONS } from './store/keys.js';

const intFromEnv = (def: number, min: number) => z.coerce.number().int().min(min).default(def);

export const EnvSchema = z.object({
  REDIS_URL: z
    .string()
    .refine((v) => /^rediss?:\/\//.test(v), { message: 'must be a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  /** Seed nodes of a Redis Cluster (`host:port,host:port,…`); when set, every role uses the cluster. */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.split(',').every((n) => /^\[?[^\]\s,]+\]?:\d{1,5}$/.test(n.trim())), {
      message: 'must be comma-separated host:port seed nodes, e.g. 10.0.0.5:7000,10.0.0.6:7000',
    }),
  RESUME_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 characters of A-Z a-z 0-9 _ . -')
    .default('rp'),
  /** Partitions of the key layout and queues; fixed for a deployment's lifetime. */
  RESUME_PARTITIONS: z.coerce.number().int().min(1).max(MAX_PARTITIONS).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Comma-separated Redis URLs of a Redlock quorum; unset: the lock lives with the worker. */
  REDLOCK_URLS: z.string().optional(),
  CONSUMER_CONCURRENCY: intFromEnv(16, 1),
  /** Timeout jobs a consumer works on at once: slots of their own, never taken by resumes. */
  TIMEOUT_CONCURRENCY: intFromEnv(16, 1),
  LOCK_TTL_MS: intFromEnv(2500, 1000),
  HOOK_TIMEOUT_MS: intFromEnv(10000, 1),
  STALLED_INTERVAL_MS: intFromEnv(2500, 500),
  /** Consumer deaths a job may cause before it is quarantined (RP-POISON-JOB) instead of run again. */
  POISON_JOB_DEATHS: intFromEnv(3, 1),
  RECONCILE_INTERVAL_MS: intFromEnv(2000, 100),
  /** A consumer serves its own Prometheus metrics on this port at /metrics (unset: it does not). */
  METRICS_PORT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).max(65535).optional(),
  ),
  /** Completed jobs a consumer keeps per queue (and at most a day); see KEEP_FINISHED. */
  KEEP_COMPLETED_JOBS: intFromEnv(100_000, 100),
  /** Where `import`/`export` and `resume <id>` look for snapshots (Harn's variable of the same name). */
  HARN_WORKER_STATE_DIR: z.string().min(1).default('.harn/workers'),
  /** How long an idempotency key's first outcome is kept. */
  IDEMPOTENCY_TTL_MS: intFromEnv(24 * 3600 * 1000, 1000),
  /** 'replicated': acknowledged writes wait (WAIT 1) for a replica; 'async': the master's OK suffices. */
  RESUME_DURABILITY: z.enum(DURABILITY_MODES).default('async'),
  /** OTLP/HTTP collector: when set, consumer, serve and the CLI export traces there (tracing-sdk.ts). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  ),
  /** The traces' service.name (default resume-processor). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

export type Env = Readonly<z.infer<typeof EnvSchema>>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(
      RpCode.InvalidConfig,
      `invalid configuration:\n${z.prettifyError(result.error)}`,
      issues,
    );
  }
  return Object.freeze(result.data);
}

/** Where Redis is: the cluster's seed nodes when REDIS_CLUSTER_NODES is set, else REDIS_URL. */
export function redisConnection(env: Env): ConnectionSpec {
  const nodes = env.REDIS_CLUSTER_NODES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return nodes && nodes.length > 0 ? { cluster: nodes } : env.REDIS_URL;
}

/** The Redlock quorum's servers; empty (the default) keeps each lock with its worker in REDIS_URL. */
export function redlockUrls(env: Env): string[] {
  return (
    env.REDLOCK_URLS?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? []
  );
}
