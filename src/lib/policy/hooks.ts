// Lifecycle hook results and chains, as Harn's `parse_hook_control` and
// `run_lifecycle_hooks_with_control` (orchestration hooks, harn-semantics §4). Pure: the hooks are
// functions the consumer passes in; running them is the only effect, and their errors propagate.

import { ResumeProcessorError, RpCode } from '../errors.js';
import {
  cloneJson,
  findJsonIssue,
  harnTrim,
  harnTruthy,
  harnTypeName,
  isNil,
  isPlainObject,
  renderInput,
} from './resume-options.js';
import type { HookResult, JsonValue, ResumeOptions } from './types.js';

export type LifecycleHook<P> = (payload: P) => unknown | Promise<unknown>;

export type HookChainResult<P> =
  | { kind: 'allow'; payload: P; modified: boolean }
  | { kind: 'block'; reason: string; payload: P };

const hookFailed = (message: string) => new ResumeProcessorError(RpCode.HookFailed, message);

/** Harn's `display()` of whatever a hook put in a field (a non-JSON value gets a readable stand-in). */
function display(value: unknown): string {
  if (findJsonIssue(value) === null) return renderInput(value as JsonValue);
  return typeof value === 'function' ? '<fn>' : String(value);
}

/**
 * Maps one hook's return value. nil/true allow; false blocks; a dict is read in Harn's order:
 * `decision` (allow|deny|ask, else an error), then a truthy `block`, then `modify`, else allow.
 * Lists are an error here: in Harn they are reminder-effect lists, which worker hooks cannot use.
 */
export function mapHookResult(value: unknown, eventName: 'PreResume' | 'PreSuspend' | string): HookResult {
  if (isNil(value) || value === true) return { kind: 'allow' };
  if (value === false) return { kind: 'block', reason: `${eventName} hook returned false` };
  if (!isPlainObject(value)) {
    throw hookFailed(
      `${eventName} hook must return nil, bool, or a control dict; got ${harnTypeName(value)}`,
    );
  }
  if (Object.hasOwn(value, 'decision')) {
    const kind = display(value.decision);
    const decision = harnTrim(kind).toLowerCase();
    if (decision !== 'allow' && decision !== 'deny' && decision !== 'ask') {
      throw hookFailed(`${eventName} hook \`decision\` must be "allow", "deny", or "ask"; got "${kind}"`);
    }
    return isNil(value.reason)
      ? { kind: 'decision', decision }
      : { kind: 'decision', decision, reason: display(value.reason) };
  }
  if (harnTruthy(value.block)) {
    // Harn would display a nil reason as "nil"; a missing and a null reason both get the default.
    const reason = isNil(value.reason) ? `${eventName} hook blocked the operation` : display(value.reason);
    return { kind: 'block', reason };
  }
  if (Object.hasOwn(value, 'modify')) {
    const modify = isNil(value.modify) ? null : value.modify;
    const issue = findJsonIssue(modify, ['modify']);
    if (issue)
      throw hookFailed(`${eventName} hook returned a non-JSON ${issue.path.join('.')}: ${issue.message}`);
    return { kind: 'modify', payload: cloneJson(modify as JsonValue) };
  }
  return { kind: 'allow' };
}

/** Each hook gets its own copy, as a Harn hook gets a VM value: mutating it in place changes nothing. */
function copyForHook<P>(payload: P): P {
  try {
    return structuredClone(payload);
  } catch {
    return payload; // not cloneable (holds functions): hand it over as is
  }
}

/**
 * Runs hooks in order with the current payload. The first block wins; a decision ends the chain
 * and counts as allow (Harn's warm resume ignores decisions); a modify replaces the payload for
 * later hooks (no merge) and the last one is carried even when later hooks allow.
 */
export async function runHookChain<P extends JsonValue | object>(
  hooks: readonly LifecycleHook<P>[],
  initial: P,
  eventName: string,
): Promise<HookChainResult<P>> {
  let payload = initial;
  let modified = false;
  for (const hook of hooks) {
    const result = mapHookResult(await hook(copyForHook(payload)), eventName);
    switch (result.kind) {
      case 'allow':
        continue;
      case 'block':
        return { kind: 'block', reason: result.reason, payload };
      case 'decision':
        return { kind: 'allow', payload, modified };
      case 'modify':
        // The hook chose the new payload's shape; P names what hooks see, not a checked type.
        payload = result.payload as P;
        modified = true;
        continue;
      default: {
        const unreachable: never = result;
        return unreachable;
      }
    }
  }
  return { kind: 'allow', payload, modified };
}

/**
 * Harn's warm resume after a PreResume Modify: a non-null `resume_input` in the final payload
 * replaces the input; null cannot clear it and `continue_transcript` cannot be changed.
 * Accepts the options themselves or a holder `{input: options}`.
 */
export function applyPreResumeModification(
  original: ResumeOptions | { input: ResumeOptions },
  payload: unknown,
): ResumeOptions {
  const options = 'inputPresent' in original ? original : original.input;
  if (!isPlainObject(payload) || isNil(payload.resume_input)) return { ...options };
  const issue = findJsonIssue(payload.resume_input, ['resume_input']);
  if (issue) throw hookFailed(`PreResume hook returned a non-JSON ${issue.path.join('.')}: ${issue.message}`);
  return { ...options, inputPresent: true, input: cloneJson(payload.resume_input as JsonValue) };
}
