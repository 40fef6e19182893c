import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { lookUpDemoIds } from './demo-data';
import { ExampleVariables } from './example-variables';
import { sessionFetcher } from './fetcher';
import { exampleTabs } from './operations';
import { Session, refreshLeadFrom } from './session';
import { SessionBar } from './session-bar';

const session = new Session(refreshLeadFrom(location.search));
const fetcher = sessionFetcher(session);

// the examples name real ids of the catalogue: wait (briefly) for them before opening the tabs
void lookUpDemoIds().then((ids) => {
  const examples = new ExampleVariables(ids);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <SessionBar session={session} />
      <div className="graphiql-host">
        <GraphiQL
          fetcher={fetcher}
          defaultTabs={exampleTabs(ids)}
          onEditOperationName={examples.onOperationPicked}
          isHeadersEditorEnabled
          defaultEditorToolsVisibility="variables"
        >
          <examples.EditorHandle />
        </GraphiQL>
      </div>
    </StrictMode>,
  );
});
