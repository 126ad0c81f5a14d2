// Every scenario of the battery, in the order they run.

import type { Scenario } from '../types.js';
import { badInput } from './bad-input/index.js';
import { clockSkew } from './clock-skew.js';
import { crashPoints } from './crash-points.js';
import { hookFaults } from './hook-faults.js';
import { httpAttack } from './http-attack.js';
import { kill9 } from './kill9.js';
import { partition } from './partition.js';
import { pausedHolder } from './paused-holder.js';
import { poison } from './poison.js';
import { races } from './races.js';
import { redisDown } from './redis-down.js';
import { redisShutdown, redisSigkill } from './redis-restart.js';

export const SCENARIOS: Scenario[] = [
  races,
  kill9,
  redisShutdown,
  redisSigkill,
  pausedHolder,
  crashPoints,
  badInput,
  redisDown,
  partition,
  clockSkew,
  poison,
  hookFaults,
  httpAttack,
];
