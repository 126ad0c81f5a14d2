// The dashboard's static files: its own CSS and JS (next to this module, in assets/) and uPlot's
// distribution files from node_modules, served by name from a fixed list (no path from the
// request reaches the file system), read once and cached by the browser for an hour.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { HttpCode, HttpProblem } from '../problem.js';
import { dashboardRoute } from './route.js';

const own = (name: string) => fileURLToPath(new URL(`./assets/${name}`, import.meta.url));
const uplot = (name: string) => createRequire(import.meta.url).resolve(`uplot/dist/${name}`);

const FILES: Record<string, { path: string; type: string }> = {
  'dashboard.css': { path: own('dashboard.css'), type: 'text/css; charset=utf-8' },
  'dashboard.js': { path: own('dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'overview.js': { path: own('overview.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: uplot('uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { path: uplot('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
};

export const assetRoutes = (): FastifyPluginAsync => async (app) => {
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { file: string } }>(
    '/dashboard/assets/:file',
    dashboardRoute('public'),
    async (request, reply) => {
      const file = FILES[request.params.file];
      if (!file) throw new HttpProblem(404, HttpCode.NotFound, `no dashboard asset ${request.params.file}`);
      let content = cache.get(request.params.file);
      if (!content) {
        content = readFileSync(file.path);
        cache.set(request.params.file, content);
      }
      return reply.type(file.type).header('cache-control', 'public, max-age=3600').send(content);
    },
  );
};
