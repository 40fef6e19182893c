import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { enforceAuthDirectives } from '../auth/directives';
import { enforceInputRules } from '../input-rules';

/**
 * The executable schema of a subgraph: its SDL, its resolvers, the auth rules its SDL declares, and
 * the input rule every text argument passes first (lib/input-rules.ts).
 * Codegen's resolver maps are checked against the SDL at compile time; here they meet Apollo's looser type.
 */
export function buildSchema(typeDefs: DocumentNode, resolvers: object): GraphQLSchema {
  return enforceInputRules(enforceAuthDirectives(buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> })));
}
