import type { Fetcher } from '@apollo/utils.fetcher';
import { encodeViewer, VIEWER_HEADER, type Viewer } from '../../lib/auth/viewer';
import type { SendFetch } from '../execution/execute-plan';

type Data = Record<string, unknown>;
type Request = Parameters<SendFetch>[1];

export interface EventFetchOptions {
  /** The router's client to one subgraph (signing, tracing, timing). */
  senderOf(subgraph: string): Fetcher;
  urlOf(subgraph: string): string;
  /** Whether an entity fetch asks only for `@public` fields (see execution/public-fetches.ts). */
  isPublic(fetchDocument: string): boolean;
  /** How long a batch waits for the fetches of simultaneous events. */
  windowMs?: number;
}

/** A subgraph that answered with errors, not at all, or not as asked: the stock executor's to answer, with located errors. */
export class EventFetchFailed extends Error {}

interface Waiting {
  representations: unknown[];
  resolve(data: Data): void;
  reject(error: unknown): void;
}

interface Batch {
  subgraph: string;
  request: Request;
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

  /** How one subscriber's events fetch. */
  forViewer(viewer: Viewer | null): SendFetch {
    const encoded = encodeViewer(viewer);
    return (subgraph, request) => {
      const { representations, ...others } = request.variables as { representations?: unknown };
      if (!Array.isArray(representations)) return this.send(subgraph, request, encoded);
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
    const unique: unknown[] = [];
    const indexOf = new Map<string, number>();
    const positions = batch.waiting.map(({ representations }) =>
      representations.map((representation) => {
        const id = JSON.stringify(representation);
        let index = indexOf.get(id);
        if (index === undefined) indexOf.set(id, (index = unique.push(representation) - 1));
        return index;
      }),
    );
    try {
      const data = await this.send(batch.subgraph, { ...batch.request, variables: { ...batch.others, representations: unique } }, batch.viewer);
      const entities = data._entities;
      if (!Array.isArray(entities) || entities.length !== unique.length) throw new EventFetchFailed(`${batch.subgraph}'s _entities do not match the representations`);
      const alone = batch.waiting.length === 1;
      batch.waiting.forEach(({ resolve }, n) => {
        // the executor merges answers into each event's data in place: each gets entities of its own
        const mine = positions[n].map((index) => (alone ? entities[index] : copyOf(entities[index])));
        resolve({ _entities: mine });
      });
    } catch (error) {
      for (const { reject } of batch.waiting) reject(error);
    }
  }

  private async send(subgraph: string, request: Request, viewer: string): Promise<Data> {
    const response = await this.options
      .senderOf(subgraph)(this.options.urlOf(subgraph), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [VIEWER_HEADER]: viewer },
        body: JSON.stringify(request),
      })
      .catch((error: unknown) => {
        throw new EventFetchFailed(`${subgraph} could not be reached: ${(error as Error).message}`);
      });
    let answer: { data?: Data | null; errors?: unknown[] } = {};
    try {
      answer = (await response.json()) as typeof answer;
    } catch {
      // not JSON: failed below
    }
    if (!response.ok || answer.errors?.length || !answer.data) throw new EventFetchFailed(`${subgraph} answered ${response.status}${answer.errors?.length ? ' with errors' : ''}`);
    return answer.data;
  }
}

/** A copy of parsed JSON: several times faster than structuredClone on the small objects an entity fetch answers. */
function copyOf(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyOf);
  const copy: Data = {};
  for (const key of Object.keys(value)) copy[key] = copyOf((value as Data)[key]);
  return copy;
}
