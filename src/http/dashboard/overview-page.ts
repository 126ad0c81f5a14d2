// The overview page: counts as tables with bars, the hour's history and the timeouts' lateness as
// uPlot charts (drawn by assets/overview.js from the JSON embedded in the page), queue depths and
// the quarantined jobs.

import { Html, html, time } from './html.js';
import type { Overview } from './overview.js';

/** JSON inside a <script> element: `<` escaped so no value can close the element. */
const scriptJson = (value: unknown) => new Html(JSON.stringify(value).replace(/</g, '\\u003c'));

function bars(rows: { label: string; count: number; href?: string }[]): Html {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return html`<table class="bars">
${rows.map(
  (
    r,
  ) => html`<tr><th scope="row">${r.href ? html`<a href="${r.href}">${r.label}</a>` : r.label}</th><td class="num">${r.count}</td>
<td class="bar"><span style="width:${Math.round((100 * r.count) / max)}%"></span></td></tr>`,
)}
</table>`;
}

const percentile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);

function latenessSummary(ms: number[]): Html {
  if (ms.length === 0) return html`<p class="muted">No timeout has run yet.</p>`;
  const sorted = [...ms].sort((a, b) => a - b);
  return html`<p>Last ${ms.length} timeouts: p50 <strong>${percentile(sorted, 0.5)} ms</strong>, p99
<strong>${percentile(sorted, 0.99)} ms</strong>, max <strong>${sorted[sorted.length - 1] ?? 0} ms</strong>
(run time minus due time).</p>`;
}

export function overviewBody(o: Overview): Html {
  const statusRows = Object.entries(o.byStatus).map(([status, count]) => ({
    label: status,
    count,
    href: `/dashboard?status=${encodeURIComponent(status)}`,
  }));
  const reasonRows = o.byReason.map((r) => ({
    label: r.reason || '(none)',
    count: r.count,
    ...(r.reason ? { href: `/dashboard?reason=${encodeURIComponent(r.reason)}` } : {}),
  }));
  return html`<h1>Overview</h1>
<p class="muted">As of ${time(o.atMs)}.
<a href="/dashboard?overdue=on&amp;order=deadline" class="${o.overdue > 0 ? 'overdue' : ''}">${o.overdue}${o.overdueCapped ? '+' : ''} overdue</a>
${o.quarantined.length > 0 ? html` · <span class="overdue">${o.quarantined.length} quarantined jobs</span>` : ''}</p>
<div class="columns">
<section><h2>Workers by status</h2>${bars(statusRows)}</section>
<section><h2>Suspended by reason</h2>${reasonRows.length === 0 ? html`<p class="muted">Nobody is suspended.</p>` : bars(reasonRows)}</section>
</div>
<section><h2>Resumes and timeouts per second (last hour)</h2><div class="chart" id="chart-rates"></div></section>
<section><h2>Failed jobs per minute (last hour)</h2><div class="chart" id="chart-failed"></div></section>
<section><h2>Timeout lateness</h2>${latenessSummary(o.lateness.ms)}<div class="chart" id="chart-lateness"></div></section>
<section><h2>Queues</h2>
<table class="queues"><thead><tr><th>queue</th><th>waiting</th><th>prioritized</th><th>active</th><th>delayed</th><th>failed</th><th>completed</th></tr></thead>
<tbody>${o.queues.map(
    (
      q,
    ) => html`<tr><th scope="row"><a href="/admin/queues">${q.queue}</a></th><td>${q.counts.waiting}</td><td>${q.counts.prioritized}</td><td>${q.counts.active}</td>
<td>${q.counts.delayed}</td><td class="${q.counts.failed > 0 ? 'overdue' : ''}">${q.counts.failed}</td><td>${q.counts.completed}</td></tr>`,
  )}</tbody></table></section>
<section><h2>Quarantined (poison) jobs</h2>
${
  o.quarantined.length === 0
    ? html`<p class="muted">None: no job has killed its consumers.</p>`
    : html`<table><thead><tr><th>queue</th><th>job</th><th>worker</th><th>consumer deaths</th><th>quarantined</th></tr></thead><tbody>
${o.quarantined.map(
  (j) =>
    html`<tr><td>${j.queue}</td><td><code>${j.jobId}</code></td><td><a href="/dashboard/workers/${encodeURIComponent(j.workerId)}">${j.workerId}</a></td><td>${j.deaths}</td><td>${time(j.atMs)}</td></tr>`,
)}</tbody></table>`
}
</section>
<script type="application/json" id="overview-data">${scriptJson({ history: o.history, lateness: o.lateness })}</script>`;
}
