// The app's router. Hono's fastest, RegExpRouter, cannot hold the reference's routes (`/user/:id`
// beside `/user/lru/:id`), so Hono falls back to TrieRouter, which walks its tree on every request
// (about 0.5 µs for /counter/local, measured). Most requests here go to a path that a route names
// literally (/counter/local, /cluster): this router remembers what the tree answered for those, and
// asks the tree only for the rest.
import type { Result, Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';

/** A path with no parameter, wildcard, optional part or pattern: it matches itself only. */
const isLiteral = (path: string): boolean => !/[:*?{]/.test(path);

export class StaticFirstRouter<T> implements Router<T> {
  readonly name = 'StaticFirstRouter';
  readonly #tree = new TrieRouter<T>();
  readonly #literals = new Set<string>();
  /**
   * method → literal path → the tree's answer. Bounded: only registered literal paths, and only the
   * methods Node's parser accepts. A match result is read, never changed, by Hono.
   */
  readonly #remembered = new Map<string, Map<string, Result<T>>>();

  add(method: string, path: string, handler: T): void {
    this.#tree.add(method, path, handler);
    if (isLiteral(path)) this.#literals.add(path);
    // A new route may change any answer (a middleware on `/*`): start over.
    this.#remembered.clear();
  }

  match(method: string, path: string): Result<T> {
    const known = this.#remembered.get(method)?.get(path);
    if (known !== undefined) return known;
    const result = this.#tree.match(method, path);
    if (this.#literals.has(path)) {
      let byPath = this.#remembered.get(method);
      if (byPath === undefined) {
        byPath = new Map();
        this.#remembered.set(method, byPath);
      }
      byPath.set(path, result);
    }
    return result;
  }
}
