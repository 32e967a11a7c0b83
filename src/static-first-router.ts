// The app's router. Hono's fastest, RegExpRouter, cannot hold the reference's routes (`/user/:id`
// beside `/user/lru/:id`), so Hono falls back to TrieRouter, which walks its tree on every request:
// about 0.5 µs for /counter/local and more for /user/lru/1 (it builds its parameter objects),
// measured. The paths a room or a load sends are few and repeat (/counter/local, /user/lru/1–5):
// this router remembers what the tree answered for a path and asks the tree only for paths it has
// not seen. Bounded: every registered literal path, plus REMEMBERED_PATHS others (new ids, paths no
// route serves) before it forgets them all and starts over.
import type { Result, Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';

/** Paths that are not a registered literal route path remembered at most, over all methods. */
export const REMEMBERED_PATHS = 256;

/** A path with no parameter, wildcard, optional part or pattern: it matches itself only. */
const isLiteral = (path: string): boolean => !/[:*?{]/.test(path);

export class StaticFirstRouter<T> implements Router<T> {
  readonly name = 'StaticFirstRouter';
  readonly #tree = new TrieRouter<T>();
  readonly #literals = new Set<string>();
  /**
   * method → path → the tree's answer; only the methods Node's parser accepts. A match result is
   * read, never changed, by Hono, and the tree builds a new one on every match.
   */
  readonly #remembered = new Map<string, Map<string, Result<T>>>();
  /** How many remembered paths are not registered literals: what a client could grow. */
  #others = 0;

  add(method: string, path: string, handler: T): void {
    this.#tree.add(method, path, handler);
    if (isLiteral(path)) this.#literals.add(path);
    // A new route may change any answer (a middleware on `/*`): start over.
    this.#forget();
  }

  match(method: string, path: string): Result<T> {
    const known = this.#remembered.get(method)?.get(path);
    if (known !== undefined) return known;
    const result = this.#tree.match(method, path);
    if (!this.#literals.has(path)) {
      if (this.#others >= REMEMBERED_PATHS) this.#forget();
      this.#others += 1;
    }
    let byPath = this.#remembered.get(method);
    if (byPath === undefined) {
      byPath = new Map();
      this.#remembered.set(method, byPath);
    }
    byPath.set(path, result);
    return result;
  }

  /** How many paths it remembers now, over all methods (for its test). */
  get size(): number {
    let size = 0;
    for (const byPath of this.#remembered.values()) size += byPath.size;
    return size;
  }

  #forget(): void {
    this.#remembered.clear();
    this.#others = 0;
  }
}
