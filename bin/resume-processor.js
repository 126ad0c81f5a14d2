#!/usr/bin/env node
// The `resume-processor` command. An installed package and the image run the compiled CLI in
// dist/. In a clone (src/ next to bin/ and tsx, a dev dependency, installed) it runs the
// TypeScript sources through tsx instead: an edit needs no build, and a dist/ left over from an
// earlier `npm run build` is never run in place of the sources.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);

async function registerTsx() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return true;
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND') return false;
    throw err;
  }
}

if (existsSync(sources) && (await registerTsx())) {
  await import(sources.href);
} else if (existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  await import('../dist/cli/main.js');
} else {
  console.error(
    'resume-processor: dist/ is missing: run `npm run build` (or `npm install` in a clone for tsx)',
  );
  process.exitCode = 1;
}
