import type { Fetcher, FetcherHeaders, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent, request } from 'undici';

/**
 * Per subgraph: far above what a subgraph serves at once, but a bound on the sockets a fan-out to
 * thousands of subscribers opens (without one, 10,000 subscribers ran the subgraphs' process out of
 * file descriptors). Requests beyond it wait for a free connection, first come first served.
 */
const CONNECTIONS_PER_SUBGRAPH = 512;

/** Read-only headers as the gateway reads them (it only ever calls `get`). */
class ResponseHeaders implements FetcherHeaders {
  private readonly byName: Map<string, string>;

  constructor(raw: Record<string, string | string[] | undefined>) {
    this.byName = new Map(
      Object.entries(raw).flatMap(([name, value]) => (value === undefined ? [] : [[name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value]])),
    );
  }

  get(name: string): string | null {
    return this.byName.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }
  append(): void {
    throw new TypeError('response headers are immutable');
  }
  delete(): void {
    throw new TypeError('response headers are immutable');
  }
  set(): void {
    throw new TypeError('response headers are immutable');
  }
  entries(): IterableIterator<[string, string]> {
    return this.byName.entries();
  }
  keys(): IterableIterator<string> {
    return this.byName.keys();
  }
  values(): IterableIterator<string> {
    return this.byName.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.byName.entries();
  }
}

/** A response whose body was read whole, so that it can be read again as text, JSON or bytes. */
function bufferedResponse(url: string, status: number, headers: FetcherHeaders, body: Buffer): FetcherResponse {
  let used = false;
  const read = <T>(as: () => T): Promise<T> => {
    used = true;
    try {
      return Promise.resolve(as());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const response: FetcherResponse = {
    get bodyUsed() {
      return used;
    },
    url,
    redirected: false,
    status,
    ok: status >= 200 && status < 300,
    statusText: String(status),
    headers,
    arrayBuffer: () => read(() => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer),
    text: () => read(() => body.toString('utf8')),
    json: () => read(() => JSON.parse(body.toString('utf8')) as unknown),
    clone: () => bufferedResponse(url, status, headers, body),
  };
  return response;
}

/**
 * The gateway's fetcher for subgraph requests, on undici's request API with a pool of kept-alive
 * connections per subgraph. Node's global fetch runs the same client behind WHATWG streams and
 * Request/Response objects, which cost the router more CPU than the rest of a subgraph call (measured
 * under `npm run bench:search`); a subgraph answer is one small JSON body, read whole.
 */
export function subgraphFetcher(timeoutMs = 10_000): Fetcher {
  const agent = new Agent({ connections: CONNECTIONS_PER_SUBGRAPH });
  return async (url, init) => {
    const response = await request(url, {
      dispatcher: agent,
      // a subgraph that stops answering fails its part of the answer instead of holding the client
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      method: (init?.method ?? 'GET') as 'GET',
      headers: init?.headers,
      body: init?.body,
      signal: init?.signal as AbortSignal | undefined,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return bufferedResponse(url, response.statusCode, new ResponseHeaders(response.headers), body);
  };
}
