import { readFileSync } from 'node:fs';
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { parse, print, visit, type GraphQLSchema } from 'graphql';

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

/** The supergraph as the whole router uses it: parsed, and its subgraphs' URLs resolved, once. */
export interface LoadedSupergraph {
  /** The SDL as the gateway reads it (see prepareForGateway). */
  sdl: string;
  supergraph: Supergraph;
  apiSchema: Schema;
  apiGraphQLSchema: GraphQLSchema;
  supergraphGraphQLSchema: GraphQLSchema;
  planner: QueryPlanner;
  /** Each subgraph by its name in the supergraph, at the URL configured for it or else the one the supergraph gives. */
  subgraphs: { name: string; url: string }[];
  /** A subgraph's URL by its name in the supergraph, in any case. */
  urlOf(name: string): string;
}

export function loadSupergraph(path: string, configuredUrls: Record<string, string>): LoadedSupergraph {
  const raw = readFileSync(path, 'utf8');
  // parsing with the router's feature set validates the file before the gateway sees it
  const supergraph = Supergraph.build(raw, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
  const subgraphs = supergraph.subgraphsMetadata().map(({ name, url }) => ({ name, url: configuredUrls[name.toLowerCase()] ?? url }));
  const byName = new Map(subgraphs.map(({ name, url }) => [name.toLowerCase(), url]));
  const apiSchema = supergraph.apiSchema();
  return {
    sdl: prepareForGateway(raw),
    supergraph,
    apiSchema,
    apiGraphQLSchema: apiSchema.toGraphQLJSSchema(),
    supergraphGraphQLSchema: supergraph.schema.toGraphQLJSSchema(),
    planner: new QueryPlanner(supergraph),
    subgraphs,
    urlOf(name) {
      const url = byName.get(name.toLowerCase());
      if (!url) throw new Error(`no URL for subgraph ${name}`);
      return url;
    },
  };
}
