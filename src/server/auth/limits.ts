import { HttpError } from '../http/errors.js';

/** A failure budget: at most `max` failures per key within `windowMs`. */
export interface FailureBudget {
  max: number;
  windowMs: number;
}

/**
 * Failure budgets of authentication (quality.md A4: auth attempts rate-limited per IP and per
 * account). Only failures count: a client that authenticates correctly is never slowed down.
 */
export interface AuthLimitTunables {
  /** Failed password logins per client address. */
  loginPerAddress: FailureBudget;
  /** Failed password logins per account (email), from any address. */
  loginPerAccount: FailureBudget;
  /** Requests with an unknown user token, per client address. */
  tokenPerAddress: FailureBudget;
  /** Agent upgrades with an unknown machine token, per client address (kept apart from users'). */
  machineTokenPerAddress: FailureBudget;
  /** Refused enrollments (unknown, used or expired token), per client address (quality.md A4). */
  enrollPerAddress: FailureBudget;
  /** Keys remembered per limiter; the oldest is forgotten past it (bounded memory). */
  maxKeys: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimitTunables = {
  loginPerAddress: { max: 20, windowMs: 5 * 60_000 },
  loginPerAccount: { max: 10, windowMs: 15 * 60_000 },
  tokenPerAddress: { max: 30, windowMs: 60_000 },
  machineTokenPerAddress: { max: 30, windowMs: 60_000 },
  enrollPerAddress: { max: 10, windowMs: 5 * 60_000 },
  maxKeys: 10_000,
};

/** Answered when a budget is spent: 429 with `Retry-After` in seconds. */
export class TooManyAttempts extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, `Too many failed authentication attempts; retry in ${retryAfterSeconds} s`);
    this.name = 'TooManyAttempts';
  }
}

interface Window {
  failures: number;
  resetAt: number;
}

/** Counts failures per key in fixed windows; in memory, per server process. */
export class FailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly budget: FailureBudget,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws {@link TooManyAttempts} while the key's budget is spent. */
  check(key: string): void {
    const w = this.windows.get(key);
    if (!w) return;
    const left = w.resetAt - this.now();
    if (left <= 0) {
      this.windows.delete(key);
      return;
    }
    if (w.failures >= this.budget.max) throw new TooManyAttempts(Math.max(1, Math.ceil(left / 1000)));
  }

  fail(key: string): void {
    const now = this.now();
    const w = this.windows.get(key);
    if (w && w.resetAt > now) {
      w.failures += 1;
      return;
    }
    this.windows.delete(key);
    if (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(key, { failures: 1, resetAt: now + this.budget.windowMs });
  }

  /** Takes back one counted failure (an attempt counted up front turned out to succeed). */
  forgive(key: string): void {
    const w = this.windows.get(key);
    if (w && w.failures > 0) w.failures -= 1;
  }
}

export interface AuthLimits {
  loginPerAddress: FailureLimiter;
  loginPerAccount: FailureLimiter;
  tokenPerAddress: FailureLimiter;
  machineTokenPerAddress: FailureLimiter;
  enrollPerAddress: FailureLimiter;
}

export function authLimits(overrides: Partial<AuthLimitTunables> = {}): AuthLimits {
  const t = { ...DEFAULT_AUTH_LIMITS, ...overrides };
  return {
    loginPerAddress: new FailureLimiter(t.loginPerAddress, t.maxKeys),
    loginPerAccount: new FailureLimiter(t.loginPerAccount, t.maxKeys),
    tokenPerAddress: new FailureLimiter(t.tokenPerAddress, t.maxKeys),
    machineTokenPerAddress: new FailureLimiter(t.machineTokenPerAddress, t.maxKeys),
    enrollPerAddress: new FailureLimiter(t.enrollPerAddress, t.maxKeys),
  };
}
