/** When to try again, or null for "dead". Pure, so it is tested without clocks. */
export interface RetryPolicy {
  schedule_ms: readonly number[];
  jitter: number;
  max_age_ms: number;
}

export function nextAttemptAt(
  policy: RetryPolicy,
  attemptsSoFar: number,
  createdAt: number,
  now: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | null {
  const base = policy.schedule_ms[attemptsSoFar - 1];
  if (base === undefined) return null;
  const jittered = base * (1 - policy.jitter + 2 * policy.jitter * random());
  const wait = Math.max(jittered, retryAfterMs ?? 0);
  const at = Math.round(now + wait);
  if (at - createdAt > policy.max_age_ms) return null;
  return at;
}
