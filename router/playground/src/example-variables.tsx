import { useGraphiQL, type MonacoEditor } from '@graphiql/react';
import { useEffect } from 'react';
import { exampleVariables, isExampleText, type DemoIds } from './examples';

/**
 * A tab of several operations has one variables editor, and their variables clash (several take an
 * `$input` of different types). So the variables follow the operation picked (from the run button's
 * menu, or by running at the cursor): its example replaces the editor's text, unless that text is no
 * example any more, that is, the developer has edited it.
 */
export class ExampleVariables {
  private editor: MonacoEditor | undefined;

  constructor(private readonly ids: DemoIds) {}

  /** For GraphiQL's onEditOperationName, called as an operation is picked and before it is sent. */
  readonly onOperationPicked = (operationName: string): void => {
    const editor = this.editor;
    if (!editor) return;
    const current = editor.getValue();
    const example = exampleVariables(operationName, this.ids);
    if (current.trim() !== example && isExampleText(current, this.ids)) editor.setValue(example);
  };

  /** A child of GraphiQL that hands over its variables editor once it exists. */
  readonly EditorHandle = (): null => {
    const editor = useGraphiQL((state) => state.variableEditor);
    const tab = useGraphiQL((state) => state.tabs[state.activeTabIndex]);
    useEffect(() => {
      this.editor = editor;
      // GraphiQL opens the first tab's query but not its variables (it takes those from initialVariables only)
      if (editor && !editor.getValue() && tab?.variables) editor.setValue(tab.variables);
      // once, as the editor appears: from then on the tab's variables follow the editor, not the other way
    }, [editor]);
    return null;
  };
}
