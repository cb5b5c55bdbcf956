/**
 * --max-requests with --max-requests-jitter: each worker gets its own limit, so workers
 * started together do not all reach it together. (The master also lets only
 * --max-recycling of them be replaced at once, which jitter alone cannot promise.)
 */

/** The limit for one worker: max plus a uniform random 0..jitter. `random` returns [0, 1). */
export function requestLimit(max: number, jitter: number, random: () => number): number {
  if (jitter <= 0) return max;
  return max + Math.min(jitter, Math.floor(random() * (jitter + 1)));
}
