// Engine bugs the battery found that are not fixed yet (docs/reliability.md, "Findings").
// `npm run chaos` still fails on them; test/chaos/chaos.test.ts tolerates exactly these failures
// (the check id and every example must match) so `npm test` stays a signal for new regressions.
// Add an entry with the finding, remove it once its fix lands.

import type { Check } from './types.js';

export interface KnownIssue {
  id: string;
  scenario: string;
  /** The failing check ids it explains. */
  checks: RegExp;
  /** Every example of the failing check must match, or the failure is something else. */
  examples: RegExp | ((example: string) => boolean);
  summary: string;
}

// F1-F9 of docs/reliability.md were fixed in d92dc13: nothing is tolerated today. An entry looks like
//   { id: 'F1', scenario: 'races', checks: /^timeouts-once-or-superseded$/,
//     examples: /fired \d+ ms before its deadline/, summary: 'a suspend race fires a timeout early' }
export const KNOWN_ISSUES: KnownIssue[] = [];

/**
 * The known issues that explain a failing check: every example must be explained by one of them
 * (a check can fail for two known reasons at once). Empty when anything is unexplained.
 */
export function knownIssues(scenario: string, c: Check): KnownIssue[] {
  const candidates = KNOWN_ISSUES.filter((k) => k.scenario === scenario && k.checks.test(c.id));
  const examples = c.examples ?? [];
  if (candidates.length === 0 || examples.length === 0) return [];
  const used = new Set<KnownIssue>();
  for (const e of examples) {
    const k = candidates.find((x) => (typeof x.examples === 'function' ? x.examples(e) : x.examples.test(e)));
    if (!k) return [];
    used.add(k);
  }
  return [...used];
}
