// Webhook deliveries: the raw body is checked with HMAC-SHA256 against the provider's secret before
// anything reads it. GitHub's headers work as they are (X-Hub-Signature-256 "sha256=<hex>",
// X-GitHub-Event → the event's kind, X-GitHub-Delivery → its id, so a redelivery is the same event
// and deduplicated); other providers send the X-Webhook-* equivalents.

import { createHmac, timingSafeEqual } from 'node:crypto';

type Headers = Record<string, string | string[] | undefined>;

const first = (headers: Headers, ...names: string[]): string | undefined => {
  for (const name of names) {
    const v = headers[name];
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
};

/** Whether `raw` carries a valid `sha256=<hex>` signature made with `secret` (constant time). */
export function signatureMatches(secret: string, raw: Buffer, headers: Headers): boolean {
  const header = first(headers, 'x-hub-signature-256', 'x-webhook-signature-256');
  const m = header === undefined ? null : /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m?.[1]) return false;
  const given = Buffer.from(m[1].toLowerCase(), 'hex');
  const expected = createHmac('sha256', secret).update(raw).digest();
  return timingSafeEqual(given, expected);
}

/** The event's kind and id from the delivery's headers (null where one is missing). */
export function deliveryHeaders(headers: Headers): { kind: string | null; id: string | null } {
  return {
    kind: first(headers, 'x-github-event', 'x-webhook-event') ?? null,
    id: first(headers, 'x-github-delivery', 'x-webhook-delivery') ?? null,
  };
}

/** The signature header a sender computes: `sha256=<hex>` of the body. */
export const signBody = (secret: string, raw: Buffer | string) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
