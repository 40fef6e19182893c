import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { enforceAuthDirectives } from '../auth/directives';

/**
 * The executable schema of a subgraph: its SDL, its resolvers, and the auth rules its SDL declares.
 * Codegen's resolver maps are checked against the SDL at compile time; here they meet Apollo's looser type.
 */
export function buildSchema(typeDefs: DocumentNode, resolvers: object): GraphQLSchema {
  return enforceAuthDirectives(buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }));
}
