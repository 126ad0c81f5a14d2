// The dashboard in a real browser: Debian's Chromium driven by playwright-core against a real
// `serve` app on the test Redis with a real consumer. Logs in, sees the seeded suspended workers,
// filters to the overdue ones, resumes one from its page and sees it leave the list; a wrong key is
// refused, a read key gets no buttons and its (or a tokenless) write is refused, bull-board needs
// the login. Without /usr/bin/chromium the suite is skipped, except in CI where it must run.

import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewGate, type SeededWorkers, seedDashboard } from '../../src/cli/demo/dashboard-seed.js';
import { CHROMIUM, launchChromium } from '../support/chromium.js';
import { waitFor } from '../support/harness.js';
import { type Api, READ_KEY, startApi, WRITE_KEY } from './support.js';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI)
  throw new Error(
    `${CHROMIUM} is missing and CI is set: the browser test must run (apt-get install -y chromium)`,
  );
if (!haveChromium)
  console.warn(`dashboard browser test skipped: no ${CHROMIUM} (apt-get install -y chromium)`);

let api: Api;
let browser: Browser;
let seeded: SeededWorkers;

beforeAll(async () => {
  if (!haveChromium) return;
  api = await startApi({ consumer: false });
  await api.h.startConsumer({ hooks: { preResume: [reviewGate] } });
  seeded = await seedDashboard(api.h.producer, { resumedOnce: true });
  // The review workers' timeouts fire and are blocked: they stay suspended, then count as overdue.
  await waitFor('the overdue workers', async () => {
    const page = await api.h.producer.listWorkers({ overdue: true });
    return page.items.length === seeded.overdue.length;
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

async function loggedIn(key: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: api.url });
  const page = await context.newPage();
  await page.goto('/dashboard');
  expect(new URL(page.url()).pathname).toBe('/dashboard/login');
  await page.fill('input[name=key]', key);
  await page.click('button[type=submit]');
  await page.waitForURL('**/dashboard');
  return { context, page };
}

/** The text of the first element `selector` matches, once it is there. */
const textOf = async (page: Page, selector: string) => {
  const el = page.locator(selector).first();
  await el.waitFor({ timeout: 20_000 });
  return (await el.textContent()) ?? '';
};

const listedIds = (page: Page) =>
  page
    .locator('table.workers tbody tr')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-worker')));

describe.skipIf(!haveChromium)('the dashboard in Chromium', () => {
  it('logs in, filters to the overdue workers, resumes one from its page, and it leaves the list', async () => {
    const { context, page } = await loggedIn(WRITE_KEY);
    const cookie = (await context.cookies()).find((c) => c.name === 'rp_dashboard');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookie?.value).not.toContain(WRITE_KEY);

    expect((await listedIds(page)).sort()).toEqual([...seeded.ids].sort());
    await page.check('input[name=overdue]');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/overdue=on/);
    const overdue = await listedIds(page);
    expect(overdue.sort()).toEqual([...seeded.overdue].sort());
    expect(await page.locator('time.overdue').count()).toBe(seeded.overdue.length);

    const target = seeded.overdue[0] as string;
    await Promise.all([
      page.waitForURL(`**/workers/${target}`),
      page.click(`a[href="/dashboard/workers/${target}"]`),
    ]);
    expect(await textOf(page, 'h1')).toContain(target);
    expect(await textOf(page, 'ol.timeline')).toContain('WorkerSuspended');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.fill('textarea[name=input]', 'approved by the reviewer');
    await Promise.all([page.waitForURL('**/resume'), page.click('button[value=resume]')]);
    expect(await textOf(page, '.result.ok')).toContain('Resumed');
    expect(await textOf(page, '.status')).toBe('running');
    const summary = await api.h.producer.getWorker(target);
    expect(summary?.status).toBe('running');
    expect(summary?.task).toBe('approved by the reviewer');

    await page.goto('/dashboard?overdue=on');
    expect((await listedIds(page)).sort()).toEqual(seeded.overdue.filter((id) => id !== target).sort());
    await page.goto('/dashboard');
    expect(await listedIds(page)).not.toContain(target);
    await context.close();
  });

  it('shows the overview with uPlot charts and opens bull-board behind the login', async () => {
    const anonymous = await browser.newContext({ baseURL: api.url });
    const board = await anonymous.newPage();
    await board.goto('/admin/queues');
    expect(new URL(board.url()).pathname).toBe('/dashboard/login');
    const direct = await anonymous.request.get('/admin/queues/api/queues', { maxRedirects: 0 });
    expect(direct.status()).toBe(303);
    await anonymous.close();

    const { context, page } = await loggedIn(READ_KEY);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto('/dashboard/overview');
    expect(await textOf(page, 'h1')).toBe('Overview');
    await page.locator('#chart-lateness canvas').waitFor();
    expect(await page.evaluate(() => typeof (window as { uPlot?: unknown }).uPlot)).toBe('function');
    expect(errors, 'no script error or Content-Security-Policy refusal on the overview').toEqual([]);
    const board2 = await page.goto('/admin/queues');
    expect(board2?.status()).toBe(200);
    // bull-board's client renders the deployment's queues from its API.
    await page.waitForFunction(
      () => /timeout/.test(document.body.textContent ?? '') && /tasks/.test(document.body.textContent ?? ''),
      null,
      { timeout: 20_000 },
    );
    await context.close();
  });

  it('refuses a wrong key, gives a read key no buttons, and refuses writes without a CSRF token', async () => {
    const context = await browser.newContext({ baseURL: api.url });
    const page = await context.newPage();
    await page.goto('/dashboard/login');
    await page.fill('input[name=key]', 'not-a-key-0123456789abcdef');
    const [answer] = await Promise.all([
      page.waitForResponse('**/dashboard/login'),
      page.click('button[type=submit]'),
    ]);
    expect(answer.status()).toBe(401);
    expect(await textOf(page, '.error')).toContain('RP-UNAUTHORIZED');
    expect(await context.cookies()).toEqual([]);
    await context.close();

    const target = seeded.overdue[1] as string;
    const before = await api.h.producer.getWorker(target);
    const reader = await loggedIn(READ_KEY);
    await reader.page.goto(`/dashboard/workers/${target}`);
    expect(await textOf(reader.page, 'h1')).toContain(target);
    expect(await reader.page.locator('section.actions, button[value=resume]').count()).toBe(0);
    const csrf = await reader.page.locator('input[name=csrf]').first().inputValue();
    const byReader = await reader.context.request.post(`/dashboard/workers/${target}/close`, {
      form: { csrf },
    });
    expect(byReader.status()).toBe(403);
    expect((await byReader.json()).code).toBe('RP-FORBIDDEN');
    await reader.context.close();

    const writer = await loggedIn(WRITE_KEY);
    const noToken = await writer.context.request.post(`/dashboard/workers/${target}/close`, {
      form: { graceful: 'on' },
    });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toMatch(/CSRF/);
    await writer.page.goto(`/dashboard/workers/${target}`);
    const token = await writer.page.locator('input[name=csrf]').first().inputValue();
    const crossSite = await writer.context.request.post(`/dashboard/workers/${target}/close`, {
      form: { csrf: token },
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status()).toBe(403);
    await writer.context.close();
    const after = await api.h.producer.getWorker(target);
    expect({ status: after?.status, version: after?.version }).toEqual({
      status: 'suspended',
      version: before?.version,
    });
  });
});
