import { parse, print, visit } from 'graphql';

/**
 * Security features the subgraphs enforce themselves. The stock gateway refuses a supergraph that
 * links them `for: SECURITY`; without the purpose it reads them as plain metadata.
 */
const SUBGRAPH_ENFORCED = [
  'https://specs.apollo.dev/authenticated/',
  'https://specs.apollo.dev/requiresScopes/',
  'https://specs.apollo.dev/policy/',
];

export function prepareForGateway(supergraphSdl: string): string {
  const document = visit(parse(supergraphSdl), {
    Directive(node) {
      if (node.name.value !== 'link') return undefined;
      const url = node.arguments?.find((a) => a.name.value === 'url');
      const target = url?.value.kind === 'StringValue' ? url.value.value : '';
      if (!SUBGRAPH_ENFORCED.some((prefix) => target.startsWith(prefix))) return undefined;
      return { ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'for') };
    },
  });
  return print(document);
}
