// The command table: the order here is the order of the usage text.

import type { Command } from '../command.js';
import { closeManyCommand, resumeManyCommand } from './batches.js';
import { closeCommand } from './close.js';
import { consumerCommand } from './consumer.js';
import { demoCommand } from './demo.js';
import { eventCommand } from './event.js';
import { listCommand, statusCommand } from './inspect.js';
import { registerCommand } from './register.js';
import { resumeCommand } from './resume.js';
import { serveCommand } from './serve.js';
import { exportCommand, importCommand } from './snapshots.js';
import { suspendCommand } from './suspend.js';
import { cancelWaitCommand, extendCommand } from './wait.js';

export const COMMANDS: readonly Command[] = [
  registerCommand,
  suspendCommand,
  resumeCommand,
  eventCommand,
  extendCommand,
  cancelWaitCommand,
  closeCommand,
  resumeManyCommand,
  closeManyCommand,
  statusCommand,
  listCommand,
  importCommand,
  exportCommand,
  consumerCommand,
  serveCommand,
  demoCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
