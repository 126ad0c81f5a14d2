// Suspects: jobs a consumer died holding. One of them may be a poison job (its processing kills the
// process), and a death takes down every job the process held, so a suspect runs alone in its
// consumer: it waits (deferred, not held) until the consumer's other jobs are done, and while it
// runs no other job starts there. An innocent job that died next to a poison job once therefore
// never dies with it again, and only the poison job reaches POISON_JOB_DEATHS.

/** How long a consumer takes no new job while a suspect waits for the jobs in flight to finish. */
const DRAIN_MS = 1000;

export class SuspectGate {
  private running = 0;
  private suspectRunning = false;
  private drainUntil = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether a job may start now (then `release` it when done); false: defer it. */
  admit(suspect: boolean): boolean {
    const now = this.now();
    if (this.suspectRunning) return false;
    if (suspect && this.running > 0) {
      this.drainUntil = now + DRAIN_MS;
      return false;
    }
    if (!suspect && now < this.drainUntil) return false;
    this.running += 1;
    if (suspect) {
      this.suspectRunning = true;
      this.drainUntil = 0;
    }
    return true;
  }

  release(suspect: boolean): void {
    this.running -= 1;
    if (suspect) this.suspectRunning = false;
  }
}

/** A deferred job comes back after 100-300 ms (spread, so deferred jobs do not return together). */
export const deferralDelayMs = (): number => 100 + Math.round(Math.random() * 200);
