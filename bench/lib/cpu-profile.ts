// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per origin (our code,
// BullMQ, ioredis, Redlock, zod, pino, Node internals, GC). Idle samples are left out of the shares.

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  where: string;
  origin: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  byOrigin: { origin: string; selfMs: number; share: number }[];
  topFunctions: ProfileEntry[];
  /** Inclusive time (the frame anywhere on the stack) of the activities that explain a resume's cost. */
  activities: { activity: string; ms: number; share: number }[];
}

type Frame = ProfileNode['callFrame'];

/** Activities measured inclusively; a sample counts once per activity whatever the stack depth. */
const ours = (f: Frame, dir: string) => /\/(src|dist)\//.test(f.url) && f.url.includes(`/lib/${dir}`);

const ACTIVITIES: { activity: string; match: (f: Frame) => boolean }[] = [
  {
    // One `write` per direct socket write, one `writev` per coalesced batch (src/lib/write-coalescing.ts).
    activity: 'socket writes (write/writev system calls)',
    match: (f) =>
      (f.functionName === 'writeGeneric' || f.functionName === 'writevGeneric') &&
      f.url.includes('stream_base_commons'),
  },
  {
    activity: 'reading and parsing replies (ioredis)',
    match: (f) => f.url.includes('ioredis/built/DataHandler') || f.url.includes('/redis-parser/'),
  },
  {
    activity: 'kernel apply (everything of one change but the BullMQ job fetch/ack)',
    match: (f) => f.functionName === 'apply' && ours(f, 'store/kernel'),
  },
  {
    activity: '  lock + read (lock-read script, decode)',
    match: (f) => f.functionName === 'acquire' && ours(f, 'lock/'),
  },
  {
    activity: '  commit (one script: CAS, changed fields, event, indexes, job adds, lock release)',
    match: (f) => f.functionName === 'commit' && ours(f, 'store/worker-store'),
  },
  {
    activity: '  settle (only after PostResume hooks: outbox clear + lock release script)',
    match: (f) => f.functionName === 'settle' && ours(f, 'store/worker-store'),
  },
  {
    activity: '  record codec (encode/decode the stored document)',
    match: (f) => ours(f, 'store/record-codec'),
  },
  { activity: '  pure policy (decide, continuity)', match: (f) => ours(f, 'policy/') },
  {
    activity: 'BullMQ moveToFinished (ack + fetch next)',
    match: (f) => f.functionName === 'moveToFinished' && f.url.includes('/bullmq/'),
  },
  { activity: 'Redlock (only with REDLOCK_URLS)', match: (f) => f.url.includes('@sesamecare-oss/redlock') },
  { activity: 'zod', match: (f) => f.url.includes('/zod/') },
  { activity: 'garbage collector', match: (f) => f.functionName === '(garbage collector)' },
];

function origin(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'V8/native (program)';
  if (url === '') return 'native';
  if (url.includes('/node_modules/bullmq/')) return 'bullmq';
  if (url.includes('/node_modules/ioredis/') || url.includes('/node_modules/@ioredis/')) return 'ioredis';
  if (url.includes('/node_modules/redis-parser/')) return 'ioredis';
  if (url.includes('/node_modules/@sesamecare-oss/redlock/')) return 'redlock';
  if (url.includes('/node_modules/zod/')) return 'zod';
  if (url.includes('/node_modules/pino')) return 'pino';
  if (url.includes('/node_modules/msgpackr/')) return 'msgpackr (bullmq)';
  if (url.includes('/node_modules/')) return 'other deps';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src/') || url.includes('/dist/')) return 'resume-processor';
  if (url.includes('/bench/')) return 'bench harness';
  return 'other';
}

function shortPath(url: string): string {
  const i = url.lastIndexOf('/node_modules/');
  if (i >= 0) return url.slice(i + '/node_modules/'.length);
  for (const dir of ['/src/', '/dist/', '/bench/']) {
    const at = url.indexOf(dir);
    if (at >= 0) return url.slice(at + 1);
  }
  return url.replace(/^file:\/\//, '');
}

export function summariseProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const fn = new Map<string, ProfileEntry>();
  const origins = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const name = functionName || '(anonymous)';
    // tsx-compiled sources report line 0 for everything; a file name is then all we can say.
    const where = url ? (lineNumber > 0 ? `${shortPath(url)}:${lineNumber + 1}` : shortPath(url)) : '';
    const key = `${name}@${where}`;
    const o = origin(url, name);
    const e = fn.get(key) ?? { name, where, origin: o, selfMs: 0, share: 0 };
    e.selfMs += us / 1000;
    fn.set(key, e);
    origins.set(o, (origins.get(o) ?? 0) + us / 1000);
  }
  const busyMs = busyUs / 1000;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const activityUs = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    const hit = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame) break;
      for (const a of ACTIVITIES) if (!hit.has(a.activity) && a.match(frame)) hit.add(a.activity);
    }
    for (const a of hit) activityUs.set(a, (activityUs.get(a) ?? 0) + us);
  }
  const activities = ACTIVITIES.map((a) => {
    const ms = (activityUs.get(a.activity) ?? 0) / 1000;
    return { activity: a.activity, ms: Math.round(ms), share: ms / busyMs };
  });
  const topFunctions = [...fn.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top)
    .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), share: e.selfMs / busyMs }));
  const byOrigin = [...origins.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([o, ms]) => ({ origin: o, selfMs: Math.round(ms), share: ms / busyMs }));
  return {
    busyMs: Math.round(busyMs),
    idleMs: Math.round(idleUs / 1000),
    byOrigin,
    topFunctions,
    activities,
  };
}
