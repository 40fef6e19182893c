type Data = Record<string, unknown>;
type Container = Data | unknown[];

const isObject = (value: unknown): value is Data => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One request's merged data, copy-on-write: subgraph answers are merged into it without ever being
 * changed themselves, so that one parsed answer can serve every request that shares its read (see
 * in-flight.ts) instead of each parsing its own copy. An answer's objects and lists enter the tree
 * by reference; the first time one of them is to be changed (an answer merged into it, or an entity
 * reached through it that a later fetch completes) it is copied, shallowly, into the tree, and the
 * copy belongs to this request. Only the containers on the way to what is changed are copied.
 */
export class MergeTree {
  private readonly owned = new WeakSet<object>();

  constructor(root: Data) {
    this.owned.add(root);
  }

  /** `parent[key]`, this request's own copy when it is an object or a list; `parent` must be owned. */
  private ownChild(parent: Container, key: string | number): unknown {
    const child = (parent as Data)[key];
    if (typeof child !== 'object' || child === null || this.owned.has(child)) return child;
    const copy = Array.isArray(child) ? child.slice() : { ...(child as Data) };
    this.owned.add(copy);
    (parent as Data)[key] = copy;
    return copy;
  }

  /**
   * The objects at a plan path below each of `from` (`@` steps into a list), null ones left out, as
   * this request's own, ready to be merged into.
   */
  entitiesAt(from: Data[], path: readonly (string | number)[]): Data[] {
    // each value on the way, with where it sits, so that it can be owned once it is to be stepped into
    let current: { parent: Container; key: string | number }[] = [];
    const start: unknown[] = from;
    for (let i = 0; i < start.length; i++) if (start[i] !== null && start[i] !== undefined) current.push({ parent: start as unknown[], key: i });
    for (const step of path) {
      const next: typeof current = [];
      for (const { parent, key } of current) {
        const value = (parent as Data)[key];
        if (step === '@') {
          if (!Array.isArray(value)) continue;
          const list = this.ownChild(parent, key) as unknown[];
          for (let i = 0; i < list.length; i++) if (list[i] !== null && list[i] !== undefined) next.push({ parent: list, key: i });
        } else if (isObject(value) && value[step] !== null && value[step] !== undefined) {
          next.push({ parent: this.ownChild(parent, key) as Data, key: step });
        }
      }
      current = next;
    }
    const entities: Data[] = [];
    for (const { parent, key } of current) {
      const value = (parent as Data)[key];
      if (!Array.isArray(value)) {
        entities.push(this.ownChild(parent, key) as Data);
        continue;
      }
      // a path that ends on a list: its items
      const list = this.ownChild(parent, key) as unknown[];
      for (let i = 0; i < list.length; i++) if (list[i] !== null && list[i] !== undefined) entities.push(this.ownChild(list, i) as Data);
    }
    return entities;
  }

  /**
   * Merges `source` into `target` (owned), as the gateway merges subgraph answers: objects field by
   * field, lists of the same length item by item, anything else replaced. `source` is left unchanged.
   */
  merge(target: Data, source: unknown): void {
    if (!isObject(source)) return;
    for (const key of Object.keys(source)) {
      const value = source[key];
      if (value === undefined) continue;
      const existing = target[key];
      if (existing && isObject(value)) this.merge(this.ownChild(target, key) as Data, value);
      else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
        const list = this.ownChild(target, key) as unknown[];
        for (let i = 0; i < value.length; i++) {
          if (isObject(list[i]) && isObject(value[i])) this.merge(this.ownChild(list, i) as Data, value[i]);
          else list[i] = value[i];
        }
      } else target[key] = value;
    }
  }
}
