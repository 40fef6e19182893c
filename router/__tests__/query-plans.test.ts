import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';
import { parse } from 'graphql';
import { operation } from '../../lib/client/operations';
import { ROOT } from '../../schema/subgraphs';
import { prepareForGateway } from '../supergraph';

/**
 * What the router asks of which subgraph, for the contract's hottest reads: the plans the gateway
 * builds from the committed supergraph. A page of search results must cost one subgraph call.
 */
const supergraph = Supergraph.build(prepareForGateway(readFileSync(join(ROOT, 'schema', 'supergraph.graphql'), 'utf8')));
const planner = new QueryPlanner(supergraph);

function plan(name: string): QueryPlan {
  return planner.buildQueryPlan(operationFromDocument(supergraph.schema, parse(operation(name)), { operationName: name }));
}

/** The subgraphs a plan fetches from, in order, one entry per fetch. */
function fetches(node: PlanNode | SubscriptionNode | undefined): string[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node.serviceName];
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetches);
    case 'Flatten':
      return fetches(node.node);
    default:
      throw new Error(`unexpected plan node ${node.kind}`);
  }
}

test("a search page, with each seller's shop name and reputation, is one call to listings", () => {
  expect(fetches(plan('SearchListings').node)).toEqual(['listings']);
});

test("a listing's page takes the shop name from listings, and only what listings keeps no copy of elsewhere", () => {
  // averageRating is reputation's alone
  expect(fetches(plan('Listing').node)).toEqual(['listings', 'reputation']);
});

test("a seller's profile comes from accounts and reputation, the subgraphs of record", () => {
  // the seller, their reputation and reviews, the reviews' authors
  expect(fetches(plan('SellerReputation').node)).toEqual(['accounts', 'reputation', 'accounts']);
});
