// Draws the overview's charts with uPlot from the JSON the page embeds (#overview-data).

(() => {
  const data = JSON.parse(document.getElementById('overview-data').textContent);
  const width = (el) => Math.max(320, el.clientWidth || 800);
  const draw = (id, title, series, x, ys, empty) => {
    const el = document.getElementById(id);
    if (!el) return;
    if (x.length === 0) {
      el.textContent = empty;
      el.className = 'muted';
      return;
    }
    const opts = {
      title,
      width: width(el),
      height: 220,
      scales: { x: { time: true } },
      series: [{}, ...series],
      axes: [{}, { size: 60 }],
    };
    new uPlot(opts, [x, ...ys], el);
  };
  const h = data.history;
  draw(
    'chart-rates',
    'per second, averaged per minute',
    [
      { label: 'resumes/s', stroke: '#2856c7', width: 2 },
      { label: 'timeouts/s', stroke: '#d7a32a', width: 2 },
    ],
    h.t,
    [h.resumes, h.timeouts],
    'No job has completed in the last hour.',
  );
  draw(
    'chart-failed',
    'failed resume and timeout jobs per minute',
    [{ label: 'failed', stroke: '#c4281c', width: 2, fill: 'rgba(196,40,28,.08)' }],
    h.t,
    [h.failed],
    'No job has completed or failed in the last hour.',
  );
  const l = data.lateness;
  draw(
    'chart-lateness',
    'how late each timeout ran (ms)',
    [{ label: 'lateness ms', stroke: '#1d7a3a', width: 1, points: { show: true, size: 4 } }],
    l.t,
    [l.ms],
    'No timeout has run yet.',
  );
})();
