// The suspect gate: a job a consumer died holding runs alone in its consumer.

import { describe, expect, it } from 'vitest';
import { SuspectGate } from '../../src/consumers/suspects.js';

describe('SuspectGate', () => {
  it('ordinary jobs share the consumer; a suspect waits for them, then runs alone', () => {
    let now = 0;
    const gate = new SuspectGate(() => now);
    expect(gate.admit(false)).toBe(true);
    expect(gate.admit(false)).toBe(true);
    // Two jobs in flight: the suspect is deferred and the consumer drains (no new ordinary job).
    expect(gate.admit(true)).toBe(false);
    expect(gate.admit(false)).toBe(false);
    gate.release(false);
    gate.release(false);
    now += 200;
    expect(gate.admit(true)).toBe(true);
    // While it runs nothing else starts, suspect or not.
    expect(gate.admit(false)).toBe(false);
    expect(gate.admit(true)).toBe(false);
    gate.release(true);
    expect(gate.admit(false)).toBe(true);
  });

  it('the drain ends after a second even if the suspect never comes back', () => {
    let now = 0;
    const gate = new SuspectGate(() => now);
    expect(gate.admit(false)).toBe(true);
    expect(gate.admit(true)).toBe(false);
    now += 999;
    expect(gate.admit(false)).toBe(false);
    now += 1;
    expect(gate.admit(false)).toBe(true);
  });
});
