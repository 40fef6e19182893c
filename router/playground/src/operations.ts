import type { GraphiQLProps } from 'graphiql';

/**
 * The example operations of schema/operations, read at build time: each file becomes one tab, so
 * the page needs nothing but its own bundle.
 */
const files = import.meta.glob<string>('../../../schema/operations/*.graphql', { query: '?raw', import: 'default', eager: true });

/** The hint shown in the headers editor until the developer pastes a real token. */
export const AUTHORIZATION_HINT = 'Bearer <token from logIn or signUp>';
export const DEFAULT_HEADERS = JSON.stringify({ Authorization: AUTHORIZATION_HINT }, null, 2);

export const exampleTabs: NonNullable<GraphiQLProps['defaultTabs']> = Object.entries(files)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([path, text]) => {
    const file = path.slice(path.lastIndexOf('/') + 1);
    return {
      query: `# From schema/operations/${file}\n# With several operations, the run button asks which one to run.\n\n${text.trim()}\n`,
      headers: DEFAULT_HEADERS,
    };
  });
