import type { GraphiQLProps } from 'graphiql';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demo-data';
import { exampleVariables, type DemoIds } from './examples';

/**
 * The example operations of schema/operations, read at build time: each file becomes one tab, so
 * the page needs nothing but its own bundle. A first tab holds one public search alone, so that the
 * first press of the run button runs it rather than asking which operation to run.
 */
const files = import.meta.glob<string>('../../../schema/operations/*.graphql', { query: '?raw', import: 'default', eager: true });

type Tab = NonNullable<GraphiQLProps['defaultTabs']>[number];

const FIRST_OPERATION = { file: 'listings.graphql', name: 'SearchListings' };

const operationsOf = (text: string) =>
  parse(text).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

/** One operation of a file, with the comment lines right above it. */
function operationWithComments(text: string, name: string): string | undefined {
  const loc = operationsOf(text).find((d) => d.name?.value === name)?.loc;
  if (!loc) return undefined;
  const before = text.slice(0, loc.start).split('\n');
  before.pop();
  let first = before.length;
  while (first > 0 && before[first - 1].trimStart().startsWith('#')) first -= 1;
  return [...before.slice(first), text.slice(loc.start, loc.end)].join('\n');
}

function welcomeTab(ids: DemoIds): Tab[] {
  const entry = Object.entries(files).find(([path]) => path.endsWith(`/${FIRST_OPERATION.file}`));
  const operation = entry && operationWithComments(entry[1], FIRST_OPERATION.name);
  if (!operation) return [];
  const accounts = DEMO_ACCOUNTS.map((a) => a.email).join(', ');
  return [
    {
      query: [
        '# The marketplace API. Press the run button (or Ctrl-Enter) to search the demo',
        '# catalogue: no sign-in needed. Operations for a user need a token: log in with the',
        '# bar at the top, and every request carries it. The demo data of a fresh local stack',
        `# has these accounts, all with the password "${DEMO_PASSWORD}":`,
        `#   ${accounts}`,
        '# The other tabs hold every example operation, one tab per file of schema/operations.',
        '# Each operation brings its example variables when you pick it, unless you edited them.',
        '',
        operation,
        '',
      ].join('\n'),
      variables: exampleVariables(FIRST_OPERATION.name, ids),
    },
  ];
}

export function exampleTabs(ids: DemoIds): Tab[] {
  const fileTabs = Object.entries(files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, text]): Tab => {
      const file = path.slice(path.lastIndexOf('/') + 1);
      return {
        query: `# From schema/operations/${file}\n# With several operations, the run button asks which one to run.\n\n${text.trim()}\n`,
        // GraphiQL selects a file's first operation until another is picked
        variables: exampleVariables(operationsOf(text)[0]?.name?.value, ids),
      };
    });
  return [...welcomeTab(ids), ...fileTabs];
}
