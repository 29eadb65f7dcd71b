// A small in-memory map whose entries lapse after a fixed time, per isolate (verified API keys,
// key holders, ended console sessions). Bounded: past its size the oldest entries go first.

/**
 * The clock every TtlCache reads. Tests replace `now` to pass a cache's bound without waiting;
 * nothing else may.
 */
export const cacheClock = { now: (): number => Date.now() };

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  /** `ttlMs` 0 keeps nothing (every `get` misses). */
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The value stored under `key` less than `ttlMs` ago, else undefined. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= cacheClock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, until: cacheClock.now() + this.ttlMs });
    // Map keeps insertion order: the first entry is the oldest.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Deletes every entry whose value matches. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }
}
