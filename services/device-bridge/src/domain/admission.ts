// Admission of new pile connections (issue 12, reconnection storms): a token bucket per replica, `perSecond` tokens a
// second and as many at most, taken by each new connection before authentication (the scrypt check is the expensive
// part). Over the limit the door refuses at once and the pile retries; connections already in are never asked.

export class AdmissionBucket {
  private tokens: number;
  private lastMs: number;

  constructor(readonly perSecond: number, nowMs: number) {
    if (!(perSecond > 0)) throw new RangeError('perSecond must be positive');
    this.tokens = perSecond;
    this.lastMs = nowMs;
  }

  /** Whether a new connection may come in now (takes a token when it may). */
  take(nowMs: number): boolean {
    // a clock going back refills nothing (and charges nothing)
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.perSecond, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
      this.lastMs = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
