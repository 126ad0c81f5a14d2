// A two-panel SVG chart drawn by hand from the numbers (no charting dependency): throughput bars
// on a linear axis, latency/lateness bars on a log axis with the targets drawn as dashed lines.

export interface Bar {
  label: string;
  value: number;
  /** Optional target for this bar; a tick is drawn there. */
  target?: number;
  group?: string;
  /** Text after the value, e.g. a ratio. */
  note?: string;
}

export interface ChartInput {
  title: string;
  subtitle: string;
  throughput: Bar[];
  latency: Bar[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  !Number.isFinite(v)
    ? 'n/a'
    : Number.isInteger(v) || v >= 100
      ? Math.round(v).toLocaleString('en-US')
      : v.toFixed(v >= 10 ? 1 : 2);

/** A round step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
}

const COLORS: Record<string, string> = {
  baseline: '#9aa5b1',
  rp: '#2f6fdf',
  scale: '#6d9cf0',
  latency: '#2f6fdf',
  idle: '#17a673',
  loaded: '#e0822d',
};

function panel(
  bars: Bar[],
  x0: number,
  y0: number,
  width: number,
  title: string,
  scale: 'linear' | 'log',
  unit: string,
): string {
  const labelW = 190;
  const barH = 22;
  const gap = 8;
  const plotW = width - labelW - 70;
  const finite = bars.map((b) => b.value).filter((v) => Number.isFinite(v) && v > 0);
  const targets = bars.map((b) => b.target ?? 0).filter((v) => v > 0);
  const maxV = Math.max(1, ...finite, ...targets);
  const minLog = 0; // 10^0 = 1
  const maxLog = Math.ceil(Math.log10(maxV * 1.2));
  const step = niceStep(maxV * 1.05, 4);
  const linMax = Math.ceil((maxV * 1.05) / step) * step;
  const pos = (v: number) =>
    scale === 'linear'
      ? (Math.max(0, v) / linMax) * plotW
      : ((Math.log10(Math.max(1, v)) - minLog) / (maxLog - minLog)) * plotW;
  const out: string[] = [];
  out.push(`<text x="${x0}" y="${y0}" class="h">${esc(title)}</text>`);
  const top = y0 + 14;
  const height = bars.length * (barH + gap);
  const px = x0 + labelW;
  const ticks =
    scale === 'log'
      ? Array.from({ length: maxLog - minLog + 1 }, (_, i) => 10 ** (minLog + i))
      : Array.from({ length: Math.round(linMax / step) + 1 }, (_, i) => i * step);
  for (const t of ticks) {
    const x = px + pos(t);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + height}" class="grid"/>`);
    out.push(`<text x="${x}" y="${top + height + 14}" class="tick">${fmt(t)}</text>`);
  }
  out.push(`<text x="${px + plotW / 2}" y="${top + height + 30}" class="tick">${esc(unit)}</text>`);
  bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    const w = Number.isFinite(b.value) ? Math.max(1, pos(b.value)) : 0;
    const color = COLORS[b.group ?? 'rp'] ?? COLORS.rp;
    out.push(`<text x="${px - 8}" y="${y + barH * 0.7}" class="lbl">${esc(b.label)}</text>`);
    out.push(`<rect x="${px}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}" rx="2"/>`);
    const note = b.note ? ` ${b.note}` : '';
    // The value goes after the bar or the target tick, whichever ends further right.
    const labelX = px + Math.max(w, b.target !== undefined ? pos(b.target) + 2 : 0) + 5;
    out.push(`<text x="${labelX}" y="${y + barH * 0.7}" class="val">${esc(fmt(b.value) + note)}</text>`);
    if (b.target !== undefined) {
      const tx = px + pos(b.target);
      out.push(
        `<line x1="${tx}" y1="${y - 2}" x2="${tx}" y2="${y + barH + 2}" class="target"><title>target ${fmt(b.target)}</title></line>`,
      );
    }
  });
  return out.join('\n');
}

export function renderChart(input: ChartInput): string {
  const width = 1100;
  const half = width / 2;
  const rows = Math.max(input.throughput.length, input.latency.length);
  const height = 110 + rows * 30 + 60;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
.t{font-size:18px;font-weight:bold;fill:#1f2933}.s{font-size:12px;fill:#52606d}.h{font-size:14px;font-weight:bold;fill:#1f2933}
.lbl{font-size:12px;fill:#323f4b;text-anchor:end}.val{font-size:12px;fill:#1f2933}.tick{font-size:10px;fill:#7b8794;text-anchor:middle}
.grid{stroke:#e4e7eb;stroke-width:1}.target{stroke:#c81e1e;stroke-width:3}
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="30" class="t">${esc(input.title)}</text>
<text x="20" y="50" class="s">${esc(input.subtitle)}</text>
${panel(input.throughput, 20, 85, half - 20, 'Throughput (one consumer process)', 'linear', 'jobs or resumes per second')}
${panel(input.latency, half + 10, 85, half - 20, 'Latency and timeout lateness (red tick: target)', 'log', 'milliseconds (log scale)')}
</svg>
`;
}
