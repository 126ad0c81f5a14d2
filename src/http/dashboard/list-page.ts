// The dashboard's main page: one page of workers from the listing indexes (`listWorkers`), by
// default the suspended ones, with how long each has waited and its deadline; filters (status,
// reason, overdue), the order (age or deadline) and cursor paging as the API's listing has them.

import { z } from 'zod';
import type { JsonValue, WorkerSummary } from '../../lib/policy/types.js';
import { WORKER_STATUSES } from '../../lib/policy/types.js';
import type { ListFilter, WorkerPage } from '../../producers/listing.js';
import { countdown, duration, type Html, html } from './html.js';

export const ListPageQuery = z.strictObject({
  status: z.enum(WORKER_STATUSES).default('suspended'),
  reason: z.string().trim().max(1000).optional(),
  overdue: z.enum(['on', 'true', '']).optional(),
  order: z.enum(['age', 'deadline']).default('age'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(512).optional(),
});
export type ListPageQuery = z.output<typeof ListPageQuery>;

/** The producer's filter of the page's query. */
export function listFilter(q: ListPageQuery): ListFilter {
  const overdue = q.overdue === 'on' || q.overdue === 'true';
  return {
    status: q.status,
    ...(q.reason ? { reason: q.reason } : {}),
    ...(overdue ? { overdue: true } : {}),
    ...(q.order === 'deadline' ? { orderBy: 'deadline' as const } : { orderBy: 'since' as const }),
    limit: q.limit,
    ...(q.cursor ? { cursor: q.cursor } : {}),
  };
}

/** What a worker waits for besides its timeout: its trigger or event kind, briefly. */
export function triggerText(conditions: JsonValue | undefined): string {
  if (!conditions || typeof conditions !== 'object' || Array.isArray(conditions)) return '';
  const parts: string[] = [];
  if (typeof conditions.on_event === 'string') parts.push(`on_event ${conditions.on_event}`);
  const t = conditions.trigger;
  if (t !== undefined && t !== null) {
    const text = JSON.stringify(t);
    parts.push(text.length > 60 ? `${text.slice(0, 57)}...` : text);
  }
  return parts.join('; ');
}

const row = (w: WorkerSummary, nowMs: number): Html => {
  const s = w.suspension;
  const since = s ? Date.parse(s.suspended_at) : null;
  return html`<tr data-worker="${w.id}">
  <td><a href="/dashboard/workers/${encodeURIComponent(w.id)}">${w.id}</a></td>
  <td>${w.name}</td>
  <td>${s?.reason ?? ''}</td>
  <td>${s?.initiator ?? ''}</td>
  <td>${since === null ? '' : html`<span title="since ${s?.suspended_at ?? ''}">${duration(nowMs - since)}</span>`}</td>
  <td>${s ? countdown(s.deadline_ms, nowMs) : ''}</td>
  <td>${s?.deadline_ms === undefined ? '' : (s.on_timeout ?? 'resume_with_summary')}</td>
  <td>${triggerText(s?.conditions)}</td>
  ${s ? '' : html`<td>${w.status}</td>`}
</tr>`;
};

function queryString(q: ListPageQuery, cursor: string | null): string {
  const params = new URLSearchParams();
  params.set('status', q.status);
  if (q.reason) params.set('reason', q.reason);
  if (q.overdue === 'on' || q.overdue === 'true') params.set('overdue', 'on');
  params.set('order', q.order);
  params.set('limit', String(q.limit));
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

export function listBody(q: ListPageQuery, result: WorkerPage, nowMs: number): Html {
  const overdue = q.overdue === 'on' || q.overdue === 'true';
  const suspended = q.status === 'suspended';
  const option = (value: string, current: string, label = value) =>
    html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`;
  return html`<h1>${suspended ? 'Suspended workers' : `Workers: ${q.status}`}</h1>
<form method="get" action="/dashboard" class="filters" aria-label="filters">
  <label>Status <select name="status">${WORKER_STATUSES.map((s) => option(s, q.status))}</select></label>
  <label>Reason <input type="text" name="reason" value="${q.reason ?? ''}" placeholder="exact reason"></label>
  <label><input type="checkbox" name="overdue"${overdue ? html` checked` : ''}> overdue only</label>
  <label>Sort by <select name="order">${option('age', q.order, 'age (longest waiting first)')}${option('deadline', q.order, 'deadline (soonest first; armed timeouts only)')}</select></label>
  <label>Per page <input type="number" name="limit" min="1" max="500" value="${q.limit}"></label>
  <button type="submit">Apply</button>
  <a href="/dashboard">Reset</a>
</form>
${
  result.items.length === 0
    ? html`<p class="empty">No ${suspended ? 'suspended ' : ''}workers match${overdue ? ' (overdue only)' : ''}.</p>`
    : html`<table class="workers">
<thead><tr><th>id</th><th>name</th><th>reason</th><th>initiator</th><th>suspended for</th><th>deadline</th><th>on_timeout</th><th>trigger</th>${suspended ? '' : html`<th>status</th>`}</tr></thead>
<tbody>
${result.items.map((w) => row(w, nowMs))}
</tbody>
</table>`
}
<p class="paging">
  ${q.cursor ? html`<a href="/dashboard?${queryString(q, null)}">First page</a>` : ''}
  ${result.nextCursor ? html`<a href="/dashboard?${queryString(q, result.nextCursor)}" rel="next">Next page</a>` : ''}
  <span class="muted">${result.items.length} shown; times as of ${new Date(nowMs).toISOString()}</span>
</p>`;
}
