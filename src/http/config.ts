// The HTTP server's configuration from the environment: API keys, the resume-token secret, webhook
// secrets per provider and the request limits. Parsed once by the composition root (`serve`),
// frozen; a bad value is RP-INVALID-CONFIG naming every offending variable.

import { z } from 'zod';
import { RpCode, ValidationError } from '../lib/errors.js';
import { type ApiKey, parseApiKeys } from './api-keys.js';

/** A resume token lives at most this long (30 days). */
export const MAX_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;
/** Provider names in webhook URLs and in WEBHOOK_SECRET_<PROVIDER>. */
export const PROVIDER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

const intFromEnv = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

export const HttpEnvSchema = z.object({
  /** `name:key:scope,...`; scope read or write (write includes read). */
  API_KEYS: z.string().optional(),
  /** HMAC key of the resume tokens; unset: the API issues none and refuses every token. */
  RESUME_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  RESUME_TOKEN_TTL_MS: intFromEnv(7 * 24 * 3600 * 1000, 1000, MAX_TOKEN_TTL_MS),
  /** Largest request body in bytes (413 beyond). */
  HTTP_BODY_LIMIT: intFromEnv(1024 * 1024, 1024, 64 * 1024 * 1024),
  /** Requests per API key (or per client address, for the public routes) and window. */
  HTTP_RATE_LIMIT: intFromEnv(600, 1, 1_000_000),
  HTTP_RATE_WINDOW_MS: intFromEnv(60_000, 1000, 3_600_000),
  /** Base of the resume_url links (e.g. https://api.example.com); default: the request's own host. */
  PUBLIC_URL: z
    .string()
    .refine((v) => /^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(v), { message: 'must be an http(s):// URL' })
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
});

export interface HttpConfig {
  apiKeys: readonly ApiKey[];
  resumeTokenSecret: string | null;
  resumeTokenTtlMs: number;
  /** Secret per provider, from WEBHOOK_SECRET_<PROVIDER> (the provider name in lower case). */
  webhookSecrets: ReadonlyMap<string, string>;
  bodyLimit: number;
  rateLimit: { max: number; windowMs: number };
  publicUrl: string | null;
}

export function loadHttpConfig(variables: NodeJS.ProcessEnv = process.env): HttpConfig {
  // A variable set to the empty string (docker-compose's `FOO:` or `FOO=${FOO:-}`) counts as unset.
  const source = Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== undefined && v !== ''));
  const issues: { path: string; message: string }[] = [];
  const parsed = HttpEnvSchema.safeParse(source);
  if (!parsed.success)
    for (const i of parsed.error.issues) issues.push({ path: i.path.join('.'), message: i.message });
  let apiKeys: ApiKey[] = [];
  try {
    apiKeys = parseApiKeys(source.API_KEYS ?? '');
  } catch (err) {
    issues.push({ path: 'API_KEYS', message: err instanceof Error ? err.message : String(err) });
  }
  const webhookSecrets = new Map<string, string>();
  for (const [name, value] of Object.entries(source)) {
    const m = /^WEBHOOK_SECRET_(.+)$/.exec(name);
    if (!m?.[1] || value === undefined) continue;
    const provider = m[1].toLowerCase().replace(/_/g, '-');
    if (!PROVIDER_PATTERN.test(provider))
      issues.push({
        path: name,
        message: 'the provider must be 1-32 of A-Z 0-9 _ (e.g. WEBHOOK_SECRET_GITHUB)',
      });
    else if (value.length < 16) issues.push({ path: name, message: 'must be at least 16 characters' });
    else webhookSecrets.set(provider, value);
  }
  if (issues.length > 0 || !parsed.success) {
    const text = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
    throw new ValidationError(RpCode.InvalidConfig, `invalid configuration:\n${text}`, issues);
  }
  const env = parsed.data;
  return Object.freeze({
    apiKeys,
    resumeTokenSecret: env.RESUME_TOKEN_SECRET ?? null,
    resumeTokenTtlMs: env.RESUME_TOKEN_TTL_MS,
    webhookSecrets,
    bodyLimit: env.HTTP_BODY_LIMIT,
    rateLimit: { max: env.HTTP_RATE_LIMIT, windowMs: env.HTTP_RATE_WINDOW_MS },
    publicUrl: env.PUBLIC_URL ?? null,
  });
}

/** The environment variable holding `provider`'s webhook secret. */
export const webhookSecretVariable = (provider: string) =>
  `WEBHOOK_SECRET_${provider.toUpperCase().replace(/-/g, '_')}`;
