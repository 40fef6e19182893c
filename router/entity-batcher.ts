import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLFormattedError } from 'graphql';
import type { RouterContext } from './gateway';

type Response = Awaited<ReturnType<GraphQLDataSource<RouterContext>['process']>>;

interface Waiting {
  representations: unknown[];
  resolve(response: Response): void;
  reject(error: unknown): void;
}

/**
 * Merges the `_entities` fetches that subscription events make at the same moment into one request
 * per subgraph, query and viewer, with each distinct representation asked once: when one change fans
 * out to many subscriptions, the seller's shop name is fetched once, not once per subscriber.
 * Fetches of different viewers never merge, since what a subgraph answers may depend on who asks.
 */
export class EntityBatcher implements GraphQLDataSource<RouterContext> {
  private readonly batches = new Map<string, { options: GraphQLDataSourceProcessOptions<RouterContext>; waiting: Waiting[] }>();

  constructor(
    private readonly inner: GraphQLDataSource<RouterContext>,
    private readonly windowMs = 2,
  ) {}

  process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<Response> {
    const { representations, ...others } = (options.request.variables ?? {}) as { representations?: unknown };
    if (!Array.isArray(representations) || !options.request.query?.includes('_entities')) return this.inner.process(options);
    const key = JSON.stringify([options.request.query, others, options.context?.viewer ?? null]);
    return new Promise((resolve, reject) => {
      let batch = this.batches.get(key);
      if (!batch) {
        batch = { options, waiting: [] };
        this.batches.set(key, batch);
        setTimeout(() => void this.flush(key), this.windowMs);
      }
      batch.waiting.push({ representations, resolve, reject });
    });
  }

  private async flush(key: string): Promise<void> {
    const batch = this.batches.get(key)!;
    this.batches.delete(key);
    const { unique, positions } = distinctRepresentations(batch.waiting.map((w) => w.representations));
    const { options } = batch;
    try {
      const response = await this.inner.process({
        ...options,
        request: { ...options.request, variables: { ...options.request.variables, representations: unique } },
      });
      const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
      batch.waiting.forEach(({ resolve }, n) => {
        const mine = positions[n];
        resolve({
          ...response,
          data: entities ? { _entities: mine.map((index) => entities[index]) } : response.data,
          errors: errorsFor(response.errors, mine),
        });
      });
    } catch (error) {
      for (const { reject } of batch.waiting) reject(error);
    }
  }
}

/** The distinct representations of several fetches, each asked once, and where each fetch's went. */
export function distinctRepresentations(lists: unknown[][]): { unique: unknown[]; positions: number[][] } {
  const unique: unknown[] = [];
  const indexOf = new Map<string, number>();
  const positions = lists.map((representations) =>
    representations.map((representation) => {
      const id = JSON.stringify(representation);
      let index = indexOf.get(id);
      if (index === undefined) indexOf.set(id, (index = unique.push(representation) - 1));
      return index;
    }),
  );
  return { unique, positions };
}

/** A waiting fetch gets the errors of its own entities, renumbered, and every error without an entity. */
export function errorsFor(errors: readonly GraphQLFormattedError[] | undefined, mine: number[]): GraphQLFormattedError[] | undefined {
  if (!errors) return undefined;
  const kept: GraphQLFormattedError[] = [];
  for (const error of errors) {
    const [root, index, ...rest] = error.path ?? [];
    if (root !== '_entities' || typeof index !== 'number') {
      kept.push(error);
      continue;
    }
    mine.forEach((position, local) => {
      if (position === index) kept.push({ ...error, path: ['_entities', local, ...rest] });
    });
  }
  return kept.length ? kept : undefined;
}
