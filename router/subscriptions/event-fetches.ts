import { encodeViewer, type Viewer } from '../../lib/auth/viewer';
import { askSubgraph, type SubgraphClient } from '../execution/ask-subgraph';
import { distinctRepresentations, errorsFor } from '../execution/representations';
import type { SendOperation, SubgraphRequest } from '../execution/execute-plan';
import type { SubgraphAnswer } from '../execution/subgraph-errors';

type Data = Record<string, unknown>;

export interface EventFetchOptions extends SubgraphClient {
  /** Whether an entity fetch asks only for `@public` fields (see execution/public-fetches.ts). */
  isPublic(fetchDocument: string): boolean;
  /** How long a batch waits for the fetches of simultaneous events. */
  windowMs?: number;
}

interface Waiting {
  representations: unknown[];
  resolve(answer: SubgraphAnswer): void;
  reject(error: unknown): void;
}

interface Batch {
  subgraph: string;
  request: SubgraphRequest;
  others: Data;
  viewer: string;
  waiting: Waiting[];
}

/**
 * The subgraph fetches of subscription events. One change reaches every subscriber at the same moment,
 * and each subscriber's event runs the rest of its plan: the `_entities` fetches made within a few
 * milliseconds of each other merge into one request per subgraph and document, each distinct entity
 * asked once. Fetches of different viewers merge only when every field they ask for is `@public`
 * (sent anonymously, as what they ask for is the same for anyone); others stay per viewer, since what a
 * subgraph answers may depend on who asks. A thousand buyers following their orders thus cost the
 * subgraphs one request per event, not a thousand.
 */
export class EventFetches {
  private readonly batches = new Map<string, Batch>();

  constructor(private readonly options: EventFetchOptions) {}

  /** How one subscriber's events fetch: answers with each its own entities and the errors about them. */
  forViewer(viewer: Viewer | null): SendOperation {
    const encoded = encodeViewer(viewer);
    return (subgraph, request) => {
      const { representations, ...others } = request.variables as { representations?: unknown };
      if (!Array.isArray(representations)) return askSubgraph(this.options, subgraph, JSON.stringify(request), encoded);
      const shared = this.options.isPublic(request.query);
      const batchViewer = shared ? encodeViewer(null) : encoded;
      // the document names its operation; other variables are rare (an entity fetch's arguments)
      const key = `${subgraph}\n${batchViewer}\n${Object.keys(others).length ? JSON.stringify(others) : ''}\n${request.query}`;
      return new Promise((resolve, reject) => {
        let batch = this.batches.get(key);
        if (!batch) {
          const created: Batch = { subgraph, request, others, viewer: batchViewer, waiting: [] };
          this.batches.set(key, (batch = created));
          setTimeout(() => {
            this.batches.delete(key);
            void this.flush(created);
          }, this.options.windowMs ?? 2);
        }
        batch.waiting.push({ representations, resolve, reject });
      });
    };
  }

  private async flush(batch: Batch): Promise<void> {
    const { unique, positions } = distinctRepresentations(batch.waiting.map((w) => w.representations));
    try {
      const body = JSON.stringify({ ...batch.request, variables: { ...batch.others, representations: unique } });
      const answer = await askSubgraph(this.options, batch.subgraph, body, batch.viewer);
      const entities = answer.data?._entities;
      // answers are merged copy-on-write (execution/merge.ts), never changed: waiters share the entities
      batch.waiting.forEach(({ resolve }, n) => {
        const mine = positions[n];
        resolve({
          data: Array.isArray(entities) ? { _entities: mine.map((index) => entities[index]) } : answer.data,
          errors: errorsFor(answer.errors, mine),
        });
      });
    } catch (error) {
      for (const { reject } of batch.waiting) reject(error);
    }
  }
}
