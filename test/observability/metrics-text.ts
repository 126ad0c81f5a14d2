// A strict reader of the Prometheus text format (0.0.4) for the metrics tests: every sample line
// parses, belongs to a family declared by a TYPE line before it, carries a number, and no series
// appears twice. Throws on the first line that does not.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  types: Map<string, string>;
  /** The value of one series (labels matched exactly on the names given), or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of a name. */
  all(name: string): Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;

export function parseMetrics(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!name || !type || !/^(counter|gauge|histogram|summary|untyped)$/.test(type))
        throw new Error(`line ${i + 1}: bad TYPE: ${line}`);
      if (types.has(name)) throw new Error(`line ${i + 1}: family ${name} declared twice`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const [, name = '', rawLabels = '', rawValue = ''] = m;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let l = LABEL.exec(rawLabels); l; l = LABEL.exec(rawLabels)) {
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
      consumed = LABEL.lastIndex;
    }
    if (consumed !== rawLabels.length) throw new Error(`line ${i + 1}: bad labels: ${line}`);
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    // Prometheus reads values with Go's ParseFloat, which takes NaN in any case; prom-client writes
    // "Nan" (the event-loop lag gauges before their first sample, seen in a CI run).
    if (Number.isNaN(value) && !/^nan$/i.test(rawValue)) throw new Error(`line ${i + 1}: bad value: ${line}`);
    const family = [name, name.replace(/_(bucket|sum|count|total|created)$/, '')].find((n) => types.has(n));
    if (!family) throw new Error(`line ${i + 1}: ${name} has no TYPE line before it`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${i + 1}: series repeated: ${line}`);
    seen.add(key);
    samples.push({ name, labels, value });
  }
  const all = (name: string) => samples.filter((s) => s.name === name);
  return {
    samples,
    types,
    all,
    value(name, labels = {}) {
      return all(name).find(
        (s) =>
          Object.keys(s.labels).length === Object.keys(labels).length &&
          Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value;
    },
  };
}
