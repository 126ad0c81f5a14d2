// A worker's page: its summary, what it waits for, the continuity payload of its last resume, the
// lifecycle events as a timeline, the size of its transcript, and (for a write key) the buttons
// that resume, extend or close it. An action's result is shown at the top of the page it returns.

import type { WorkerRecord, WorkerSummary } from '../../lib/policy/types.js';
import type { StoredEvent } from '../../lib/store/worker-store.js';
import { countdown, duration, type Html, html, jsonBlock, time } from './html.js';
import { triggerText } from './list-page.js';

export interface ActionResult {
  ok: boolean;
  /** e.g. "Resumed", "HARN-SUS-003". */
  title: string;
  detail: string;
}

export interface WorkerView {
  summary: WorkerSummary;
  record: WorkerRecord | null;
  events: StoredEvent[];
  canWrite: boolean;
  csrf: string;
  nowMs: number;
  result?: ActionResult;
}

/** The transcript's size as stored: messages and bytes of its JSON. */
export function transcriptSize(record: WorkerRecord | null): string {
  const t = record?.transcript;
  if (!t) return 'none';
  const bytes = Buffer.byteLength(JSON.stringify(t), 'utf8');
  const messages = Array.isArray(t.messages) ? t.messages.length : 0;
  const size = bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
  return `${messages} message${messages === 1 ? '' : 's'}, ${size}${t.summary ? ', with a summary' : ''}`;
}

const field = (label: string, value: Html | string | number) => html`<dt>${label}</dt><dd>${value}</dd>`;

function summaryList(v: WorkerView): Html {
  const w = v.summary;
  const s = w.suspension;
  const since = s ? Date.parse(s.suspended_at) : null;
  return html`<dl class="summary">
  ${field('status', html`<span class="status status-${w.status}">${w.status}</span>`)}
  ${field('name', w.name)}
  ${field('task', w.task)}
  ${field('mode', w.mode)}
  ${field('version', w.version)}
  ${s && since !== null ? field('suspended for', html`${duration(v.nowMs - since)} <span class="muted">(since ${time(since)})</span>`) : ''}
  ${s ? field('reason', s.reason) : ''}
  ${s ? field('initiator', s.initiator) : ''}
  ${s ? field('epoch', s.epoch) : ''}
  ${s ? field('deadline', countdown(s.deadline_ms, v.nowMs)) : ''}
  ${s?.deadline_ms !== undefined ? field('on_timeout', s.on_timeout ?? 'resume_with_summary') : ''}
  ${s && triggerText(s.conditions) ? field('trigger', triggerText(s.conditions)) : ''}
  ${w.latest_error ? field('latest error', w.latest_error) : ''}
  ${w.pre_resume_denied ? field('PreResume denied', w.pre_resume_denied) : ''}
  ${field('transcript', transcriptSize(v.record))}
  ${field('created', w.created_at)}
  ${w.finished_at ? field('finished', w.finished_at) : ''}
</dl>`;
}

function timeline(events: StoredEvent[]): Html {
  if (events.length === 0) return html`<p class="muted">No events.</p>`;
  return html`<ol class="timeline">
${[...events].reverse().map(
  (e) => html`<li><time datetime="${new Date(e.atMs).toISOString()}">${time(e.atMs)}</time>
  <strong>${e.type}</strong> <span class="muted">v${e.version}</span>
  ${e.data && typeof e.data === 'object' && Object.keys(e.data).length > 0 ? html`<details><summary>data</summary>${jsonBlock(e.data)}</details>` : ''}</li>`,
)}
</ol>`;
}

function actions(v: WorkerView): Html {
  const w = v.summary;
  const base = `/dashboard/workers/${encodeURIComponent(w.id)}`;
  const csrf = html`<input type="hidden" name="csrf" value="${v.csrf}">`;
  const suspended = w.status === 'suspended';
  const armed = w.suspension?.deadline_ms !== undefined;
  return html`<section class="actions" aria-label="actions">
<h2>Actions</h2>
${
  suspended
    ? html`<form method="post" action="${base}/resume" data-confirm="Resume ${w.id} with this input?">
  ${csrf}
  <label>Resume input <textarea name="input" rows="3" placeholder="text, or JSON with the 'json' box ticked"></textarea></label>
  <label><input type="checkbox" name="json"> the input is JSON</label>
  <label><input type="checkbox" name="digest"> replace the transcript by its digest (continue_transcript false)</label>
  <button type="submit" name="action" value="resume">Resume</button>
</form>`
    : html`<p class="muted">Resume: the worker is ${w.status}, not suspended.</p>`
}
${
  suspended && armed
    ? html`<form method="post" action="${base}/extend" data-confirm="Move the deadline of ${w.id}?">
  ${csrf}
  <label>Move the deadline by <input type="number" name="minutes" value="30" step="1" required> minutes (negative: sooner)</label>
  <button type="submit">Extend</button>
</form>`
    : ''
}
${
  w.status === 'cancelled' || w.status === 'stopped'
    ? ''
    : html`<form method="post" action="${base}/close" data-confirm="Close ${w.id}? A closed worker cannot be resumed.">
  ${csrf}
  <label><input type="checkbox" name="graceful"> graceful (stopped instead of cancelled)</label>
  <button type="submit" class="danger">Close</button>
</form>`
}
</section>`;
}

export function workerBody(v: WorkerView): Html {
  const w = v.summary;
  return html`<p><a href="/dashboard">&larr; Suspended workers</a></p>
<h1>Worker <code>${w.id}</code></h1>
${
  v.result
    ? html`<p class="${v.result.ok ? 'result ok' : 'result error'}" role="status"><strong>${v.result.title}</strong> ${v.result.detail}</p>`
    : ''
}
<div class="columns">
<section><h2>Summary</h2>${summaryList(v)}</section>
<section><h2>Timeline</h2>${timeline(v.events)}</section>
</div>
${v.canWrite ? actions(v) : html`<p class="muted">Sign in with a write key to resume, extend or close this worker.</p>`}
<section><h2>Continuity payload</h2>${w.continuity ? jsonBlock(w.continuity) : html`<p class="muted">None yet (set by a resume).</p>`}</section>
${w.suspension ? html`<section><h2>Conditions</h2>${jsonBlock(w.suspension.conditions)}</section>` : ''}
<section><h2>History</h2>${w.history.length === 0 ? html`<p class="muted">Empty.</p>` : html`<ol>${w.history.map((h) => html`<li>${h}</li>`)}</ol>`}</section>`;
}
