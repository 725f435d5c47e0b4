// A bounded, promise-keeping memory shared by the server's handlers and the dashboard's pages.

/**
 * A bounded memory by key, the oldest going first: of immutable facts (`get`), and of values
 * derived from the store as it was at a state (`current`: one value per key, made again when the
 * state differs).
 */
export class Memo {
  // Promises, not values: requests that ask for a value being made wait for the same making.
  readonly #entries = new Map<string, Promise<unknown>>()
  readonly #maxEntries: number
  constructor(maxEntries = 20_000) {
    this.#maxEntries = maxEntries
  }
  /** The value remembered under `key`, or `make()`'s, remembered (forgotten if it fails). */
  get<T>(key: string, make: () => Promise<T>): Promise<T> {
    const known = this.#entries.get(key)
    if (known !== undefined) return known as Promise<T>
    const made = make()
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(key, made)
    made.catch(() => {
      if (this.#entries.get(key) === made) this.#entries.delete(key)
    })
    return made
  }
  /** The value kept under `key` if it was made at `state`, else `make()`'s, kept with `state`. */
  async current<T>(key: string, state: string, make: () => Promise<T>): Promise<T> {
    const entry = `${key}\u0000${state}`
    const previous = this.#latest.get(key)
    if (previous !== undefined && previous !== entry) this.#entries.delete(previous)
    if (this.#latest.size >= this.#maxEntries) this.#latest.clear()
    this.#latest.set(key, entry)
    return this.get(entry, make)
  }
  /** The entry of each key of `current`, to forget the value of an older state. */
  readonly #latest = new Map<string, string>()
}
