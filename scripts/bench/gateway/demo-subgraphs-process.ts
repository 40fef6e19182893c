import { demoSdl, DEMO_SUBGRAPHS, serveDemoSubgraph } from './demo-subgraphs';

/** Serves the four subgraphs, prints their URLs as one JSON line, and their request counts on `stats` on stdin. */
async function main() {
  const servers = Object.fromEntries(await Promise.all(DEMO_SUBGRAPHS.map(async (name) => [name, await serveDemoSubgraph(name)] as const)));
  const sdl = Object.fromEntries(await Promise.all(DEMO_SUBGRAPHS.map(async (name) => [name, await demoSdl(name)] as const)));
  process.stdout.write(JSON.stringify({ urls: Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, s.url])), sdl }) + '\n');
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line: string) => {
    if (line.trim() === 'stats') process.stdout.write(JSON.stringify({ requests: Object.values(servers).reduce((sum, s) => sum + s.requests, 0) }) + '\n');
  });
  process.on('SIGTERM', () => process.exit(0));
}

void main();
