// HTML for the dashboard's pages: a tagged template that escapes every value it is given (only
// another template's output passes through as markup), the page frame, and the small formatters
// the pages share (durations, times).

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Markup already escaped (made only by `html`). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export const escapeHtml = (value: string) => value.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const render = (part: Part): string => {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
};

/** `html\`<td>${value}</td>\``: every interpolated value is escaped unless it is Html itself. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

export interface PageFrame {
  title: string;
  /** The signed-in key's name and scope; null on the login page. */
  who: { name: string; scope: string; insecure: boolean } | null;
  csrf: string | null;
  /** Which tab is current. */
  tab?: 'workers' | 'overview' | 'queues';
  scripts?: string[];
  styles?: string[];
}

const ASSETS = '/dashboard/assets';

export function page(frame: PageFrame, body: Html): string {
  const tab = (id: PageFrame['tab'], href: string, label: string) =>
    html`<a href="${href}"${frame.tab === id ? new Html(' aria-current="page"') : ''}>${label}</a>`;
  const nav = frame.who
    ? html`<nav>
  <strong>resume-processor</strong>
  ${tab('workers', '/dashboard', 'Suspended workers')} ${tab('overview', '/dashboard/overview', 'Overview')}
  <a href="/admin/queues">Queues (bull-board)</a>
  <span class="who">${frame.who.insecure ? 'no API keys (insecure)' : `${frame.who.name} (${frame.who.scope})`}</span>
  ${
    frame.who.insecure
      ? ''
      : html`<form method="post" action="/dashboard/logout" class="inline"><input type="hidden" name="csrf" value="${frame.csrf ?? ''}"><button type="submit">Log out</button></form>`
  }
</nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · resume-processor</title>
<link rel="stylesheet" href="${ASSETS}/dashboard.css">
${(frame.styles ?? []).map((s) => html`<link rel="stylesheet" href="${ASSETS}/${s}">`)}
</head>
<body>
${nav}
<main>
${body}
</main>
<script src="${ASSETS}/dashboard.js"></script>
${(frame.scripts ?? []).map((s) => html`<script src="${ASSETS}/${s}"></script>`)}
</body>
</html>
`.text;
}

/** 3 d 4 h, 5 h 12 min, 7 min 3 s, 12 s (the two largest units). */
export function duration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const units: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ];
  const first = units.findIndex(([n]) => n > 0);
  if (first === -1) return '0 s';
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n} ${u}`)
    .join(' ');
}

/** An ISO time without milliseconds, in UTC. */
export const time = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** A deadline relative to now: "in 5 min", or "overdue by 2 min" (with the class that reddens it). */
export function countdown(deadlineMs: number | undefined, nowMs: number): Html {
  if (deadlineMs === undefined) return html`<span class="muted">none</span>`;
  const left = deadlineMs - nowMs;
  return left >= 0
    ? html`<time datetime="${new Date(deadlineMs).toISOString()}" title="${time(deadlineMs)}">in ${duration(left)}</time>`
    : html`<time class="overdue" datetime="${new Date(deadlineMs).toISOString()}" title="${time(deadlineMs)}">overdue by ${duration(left)}</time>`;
}

/** Pretty JSON in a <pre>. */
export const jsonBlock = (value: unknown) => html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
