// Flag parsing for the CLI: node:util parseArgs in strict mode, with its errors and our own value
// checks turned into one typed error (RP-INVALID-INPUT naming the flag), so a typo never runs a command.

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { RpCode, ValidationError } from '../lib/errors.js';
import type { JsonValue } from '../lib/policy/types.js';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;
export type FlagValues = Record<string, string | boolean | undefined>;

/** A command line the CLI refuses before doing anything: exit code 64 (EX_USAGE). */
export class UsageError extends ValidationError {
  constructor(message: string, flag = 'argv') {
    super(RpCode.InvalidInput, message, [{ path: flag, message }], { path: flag });
  }
}

/** Flags every command accepts. */
export const COMMON_FLAGS: FlagSpec = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
}

export function parseFlags(argv: string[], spec: FlagSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_FLAGS, ...spec },
      allowPositionals: true,
      strict: true,
    });
    return { flags: values as FlagValues, positionals };
  } catch (err) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes; their messages name the flag.
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(message.split('. To specify')[0] ?? message);
  }
}

/** True when `--json` appears before a `--` terminator: decides the error format even if parsing fails. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredFlag(flags: FlagValues, name: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined) throw new UsageError(`--${name} is required`, `--${name}`);
  return value;
}

/** Exactly `count` positionals (a worker id, usually). */
export function positionalArgs(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(
      `missing argument: ${names.slice(positionals.length).join(' ')}`,
      names[positionals.length],
    );
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument: ${positionals[names.length]}`, 'argv');
  }
  return positionals;
}

export function intFlag(flags: FlagValues, name: string, min = 1): number | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}: got "${raw}"`, `--${name}`);
  }
  return value;
}

export function boolFlag(flags: FlagValues, name: string): boolean | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new UsageError(`--${name} must be true or false: got "${raw}"`, `--${name}`);
}

export function jsonFlag(flags: FlagValues, name: string): JsonValue | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as JsonValue;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new UsageError(`--${name} is not valid JSON: ${reason}`, `--${name}`);
  }
}
