// `npm run build`: compiles src/ into a clean dist/ (JS, .d.ts, source maps) and copies every file
// under src/ that is not TypeScript next to its compiled module (the store's Lua scripts, the
// dashboard's static assets, whatever comes next), so modules that read a file relative to
// import.meta.url find it in dist/ as they do in src/. Plain JavaScript: it runs with node alone.

import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

// A file removed from src/ must not linger in dist/ (and so in the package).
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (compiled.status !== 0) {
  console.error(`build: tsc failed (exit ${compiled.status ?? compiled.signal})`);
  process.exit(1);
}

let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(dist, relative(src, from)));
  copied++;
}
console.log(`build: dist/ compiled, ${copied} non-TypeScript files copied from src/`);
