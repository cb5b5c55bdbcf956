/**
 * Where Environ snapshots of the parser's result tables live.
 *
 * A fresh Int32Array per request costs ~300-550 ns (each gets its own off-heap backing
 * store), more than the native parse itself. Copying into a shared arena is one memcpy
 * (~50 ns measured, 177 ints). Arenas are never reused: a full arena is dropped (the
 * Environs in it keep it alive) and a new one is started, so snapshots never alias.
 *
 * The price: a retained Environ keeps its whole arena alive (ARENA_INTS * 4 bytes), so an
 * app holding on to one request in every ~45 pins 32 KiB each.
 */

/** 32 KiB: ~45 snapshots of a typical 900-byte request (57 + 4 * 30 ints) per arena. */
export const ARENA_INTS = 8192;
/** Larger snapshots (big packets, rare) get their own array instead of eating arenas. */
export const MAX_ARENA_SNAPSHOT_INTS = ARENA_INTS / 4;

export class SnapshotArena {
  /** The arena the last copy went into (read it right after copy()). */
  current = new Int32Array(ARENA_INTS);
  private used = 0;

  /** Copies source into the current arena and returns where it starts there. */
  copy(source: Int32Array): number {
    const length = source.length;
    if (this.used + length > ARENA_INTS) {
      this.current = new Int32Array(ARENA_INTS);
      this.used = 0;
    }
    const base = this.used;
    this.current.set(source, base);
    this.used = base + length;
    return base;
  }
}
