import { fileURLToPath } from 'node:url';
import { defineConfig, type Rolldown } from 'vite';

/**
 * GraphiQL bundled into static files that the router serves: the page at GET /graphql, everything
 * else under /playground/. Nothing is loaded from another host.
 */
const root = fileURLToPath(new URL('.', import.meta.url));

// React libraries mark modules "use client"; that means nothing in a plain browser bundle
const rolldownOptions: Rolldown.RolldownOptions = {
  onwarn(warning, warn) {
    if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
  },
};

export default defineConfig({
  root,
  base: '/playground/',
  // the example operations live outside this folder; the dev server may read them
  server: { fs: { allow: [fileURLToPath(new URL('../..', import.meta.url))] } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Monaco and its language workers are large by nature; they are loaded from this host only
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
    rolldownOptions,
  },
  worker: { format: 'es', rolldownOptions },
});
