/**
 * V8 settings a worker applies to itself before it loads the app.
 *
 * Set with v8.setFlagsFromString rather than on the worker's command line: a flag a later
 * Node no longer knows is ignored there, where on the command line it would stop every
 * worker from starting (exit 9).
 */
import { setFlagsFromString } from 'node:v8';

export const WORKER_V8_FLAGS: readonly string[] = [
  // After a young-generation GC, V8 frees dead ArrayBuffers' memory (request bodies) on a
  // helper thread by default. Under upload load the worker allocates the next body
  // buffers before the helper has freed the last 32 MiB of dead ones, so malloc's heap
  // grows to hold both and the worker's RSS stays there. Freeing them inside the GC pause
  // lets the next allocations reuse that memory. Measured (bench/RESULTS.md, "Freeing
  // dead request bodies inside the GC"): 1 MiB POST load, peak worker RSS median 106.9 ->
  // 98.9 MiB over four interleaved pairs, backend CPU per request unchanged within noise.
  '--no-concurrent-array-buffer-sweeping',
];

export function applyWorkerV8Flags(): void {
  for (const flag of WORKER_V8_FLAGS) setFlagsFromString(flag);
}
