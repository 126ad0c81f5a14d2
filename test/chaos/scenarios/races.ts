// Scenario 1: races. Duplicate resumes, timeouts due within ±5 ms of the resume, events racing
// resumes, closes racing resumes, concurrent suspends of one worker (this scenario only), and
// re-suspensions by the runtime, across consumer processes.

import { loadSize } from '../sizes.js';
import { ANY_TARGET, type Scenario } from '../types.js';
import { runLoadScenario } from './load.js';

export const races: Scenario = {
  name: 'races',
  title: 'duplicate resumes, racing timeouts, events and closes',
  targets: ANY_TARGET,
  run: (ctx) =>
    runLoadScenario('races', races.title, ctx, loadSize(ctx.size, {}, ctx.stalledIntervalMs), undefined, {
      suspendRaceRate: 0.02,
    }),
};
