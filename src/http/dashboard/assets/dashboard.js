// The dashboard's only script: a confirmation before a button changes a worker, and the
// countdowns, which tick once a second (the page itself shows them as of its rendering).

(() => {
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  const span = (ms) => {
    const s = Math.floor(Math.abs(ms) / 1000);
    const units = [
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
  };
  const clocks = document.querySelectorAll(
    'time[datetime].overdue, td > time[datetime], dd > time[datetime]',
  );
  const tick = () => {
    for (const el of clocks) {
      const left = Date.parse(el.getAttribute('datetime')) - Date.now();
      el.textContent = left >= 0 ? `in ${span(left)}` : `overdue by ${span(left)}`;
      el.classList.toggle('overdue', left < 0);
    }
  };
  if (clocks.length > 0) setInterval(tick, 1000);
})();
