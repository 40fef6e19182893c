import { request } from 'node:http';
import { signViewer } from '../auth/viewer';
import { startLoneSubgraph } from '../testing/lone-subgraph';
import { reputation } from '../../subgraphs/reputation/subgraph';

/** Stopping a subgraph (SIGTERM) refuses new connections but finishes the requests in flight. */
test('a request in flight when the subgraph stops still gets its answer', async () => {
  const lone = await startLoneSubgraph(reputation);
  const body = JSON.stringify({ query: '{ _service { sdl } }' });
  const url = new URL(lone.subgraph.url);
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...signViewer(null, lone.secret, body) };
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    // half the body now, the rest once the subgraph has been told to stop
    req.write(body.slice(0, 10));
    setTimeout(() => req.end(body.slice(10)), 200);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stopping = lone.stop();
  const { status, text } = await answer;
  await stopping;
  expect(status).toBe(200);
  expect(JSON.parse(text).data._service.sdl).toContain('type Review');
});
