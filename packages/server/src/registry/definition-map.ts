/**
 * The bookkeeping every registry shares: entries by key in registration
 * order, the wire-form list built once and rebuilt only after a change, and
 * the change signal that drives `list_changed` notifications.
 */
import type { ListChangeListener, ListKind } from "./change-signal.js";

export class DefinitionMap<D, E extends { readonly definition: D }> {
  private readonly entries = new Map<string, E>();
  private listCache: readonly D[] | undefined;

  constructor(
    /** Which list changes when this map does. */
    private readonly kind: ListKind,
    /** How errors name an entry: "Tool", "Prompt", … */
    private readonly what: string,
    private readonly onChange: ListChangeListener,
  ) {}

  get(key: string): E | undefined {
    return this.entries.get(key);
  }

  get size(): number {
    return this.entries.size;
  }

  values(): IterableIterator<E> {
    return this.entries.values();
  }

  /** Adds an entry; a key already present is a registration mistake. */
  add(key: string, entry: E): E {
    if (this.entries.has(key)) throw new TypeError(`${this.what} "${key}" is already registered`);
    this.entries.set(key, entry);
    this.changed();
    return entry;
  }

  remove(key: string): boolean {
    const removed = this.entries.delete(key);
    if (removed) this.changed();
    return removed;
  }

  /** Definitions in registration order (stable across calls). */
  list(): readonly D[] {
    this.listCache ??= [...this.entries.values()].map((e) => e.definition);
    return this.listCache;
  }

  private changed(): void {
    this.listCache = undefined;
    this.onChange(this.kind);
  }
}
