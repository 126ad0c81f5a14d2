// The dashboard's sessions, CSRF tokens, login redirects and HTML escaping, without a server.

import { describe, expect, it } from 'vitest';
import { parseApiKeys } from '../../src/http/api-keys.js';
import { countdown, duration, html } from '../../src/http/dashboard/html.js';
import { safeNext } from '../../src/http/dashboard/login.js';
import {
  csrfMatches,
  csrfToken,
  issueSession,
  readSession,
  SESSION_TTL_MS,
} from '../../src/http/dashboard/session.js';

const KEYS = parseApiKeys('ops:ops-key-0123456789abcdef:write,viewer:viewer-key-0123456789abcdef:read');
const NOW = 1_800_000_000_000;
const ops = KEYS[0]!;

describe('dashboard sessions', () => {
  const cookie = issueSession(ops, NOW);

  it('reads back the key name and scope, and holds no key', () => {
    expect(readSession(KEYS, cookie, NOW + 1000)).toMatchObject({
      name: 'ops',
      scope: 'write',
      insecure: false,
    });
    expect(cookie).not.toContain('ops-key-0123456789abcdef');
  });

  const tampered = (c: string, i: number, v: string) => {
    const parts = c.split('.');
    parts[i] = v;
    return parts.join('.');
  };
  it.each([
    ['missing', undefined, NOW],
    ['garbled', 'not-a-session', NOW],
    ['expired', cookie, NOW + SESSION_TTL_MS + 1],
    [
      'another key name (the read key)',
      tampered(cookie, 1, Buffer.from('viewer').toString('base64url')),
      NOW,
    ],
    ['a later expiry', tampered(cookie, 2, String(NOW + 10 * SESSION_TTL_MS)), NOW],
    ['a forged MAC', tampered(cookie, 4, 'A'.repeat(43)), NOW],
  ])('refuses a %s cookie', (_what, value, at) => {
    expect(readSession(KEYS, value, at)).toBeNull();
  });

  it('ends when the key is changed or removed', () => {
    const rotated = parseApiKeys('ops:ops-key-rotated-0123456789ab:write');
    expect(readSession(rotated, cookie, NOW)).toBeNull();
    expect(readSession(KEYS.slice(1), cookie, NOW)).toBeNull();
  });

  it('works for a key whose name has dots', () => {
    const dotted = parseApiKeys('ops.eu-1:dotted-key-0123456789abcdef:read');
    const value = issueSession(dotted[0]!, NOW);
    expect(readSession(dotted, value, NOW)).toMatchObject({ name: 'ops.eu-1', scope: 'read' });
  });

  it('takes the scope the key has now', () => {
    const narrowed = parseApiKeys('ops:ops-key-0123456789abcdef:read');
    expect(readSession(narrowed, cookie, NOW)?.scope).toBe('read');
  });

  it("accepts only its own session's CSRF token", () => {
    const mine = readSession(KEYS, cookie, NOW)!;
    const other = readSession(KEYS, issueSession(ops, NOW), NOW)!;
    expect(csrfMatches(mine, csrfToken(mine))).toBe(true);
    expect(csrfMatches(mine, csrfToken(other))).toBe(false);
    expect(csrfMatches(mine, undefined)).toBe(false);
    expect(csrfMatches(mine, '')).toBe(false);
  });
});

describe('the login redirect', () => {
  it.each([
    ['/dashboard/workers/a?x=1', '/dashboard/workers/a?x=1'],
    ['/admin/queues', '/admin/queues'],
    ['https://evil.example/', '/dashboard'],
    ['//evil.example/dashboard', '/dashboard'],
    ['/dashboardx', '/dashboard'],
    ['/dashboard/\r\nSet-Cookie: a=b', '/dashboard'],
    [undefined, '/dashboard'],
  ])('next=%s goes to %s', (next, to) => {
    expect(safeNext(next)).toBe(to);
  });
});

describe('dashboard HTML', () => {
  it('escapes every value it is given', () => {
    const name = '<script>alert("x")</script>';
    expect(html`<td title="${name}">${name}</td>`.text).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>',
    );
    expect(html`<p>${[html`<b>${"'"}</b>`, '&']}</p>`.text).toBe('<p><b>&#39;</b>&amp;</p>');
  });

  it.each([
    [0, '0 s'],
    [12_000, '12 s'],
    [7 * 60_000 + 3000, '7 min 3 s'],
    [5 * 3600_000 + 12 * 60_000, '5 h 12 min'],
    [3 * 86400_000 + 4 * 3600_000 + 59_000, '3 d 4 h'],
  ])('duration(%i) is %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });

  it('reddens a deadline that has passed', () => {
    expect(countdown(NOW + 60_000, NOW).text).toContain('in 1 min');
    expect(countdown(NOW - 90_000, NOW).text).toMatch(/class="overdue".*overdue by 1 min 30 s/);
    expect(countdown(undefined, NOW).text).toContain('none');
  });
});
