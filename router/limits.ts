import {
  GraphQLError,
  Kind,
  specifiedRules,
  validate,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../lib/pagination';

/**
 * What one operation may ask of the router, checked while the document is validated: before any
 * plan is made or any subgraph is called. A client never needs more than these; a hostile document
 * (deep nesting, alias floods, pages of pages) is refused with BAD_USER_INPUT.
 */
export interface OperationLimits {
  /** Nesting of selections, fragments unfolded. */
  maxDepth: number;
  /** Aliased fields in one operation. */
  maxAliases: number;
  /** Directives in one document. */
  maxDirectives: number;
  /** Estimated cost: each field 1, times the page size of every list page (`first`) it sits under. */
  maxCost: number;
  /** Tokens in the document, checked by the parser so that a huge document is not even parsed whole. */
  maxTokens: number;
  /** Operations in one batched HTTP request. */
  maxBatch: number;
}

export const DEFAULT_LIMITS: OperationLimits = {
  // the deepest operation of schema/operations nests 6 levels and the costliest costs 2,401
  maxDepth: 10,
  maxAliases: 30,
  maxDirectives: 50,
  maxCost: 5_000,
  maxTokens: 5_000,
  maxBatch: 10,
};

export function limitRules(limits: OperationLimits): ValidationRule[] {
  return [depthAndCost(limits), maxAliases(limits.maxAliases), maxDirectives(limits.maxDirectives)];
}

/** Validation as every entry point runs it: the spec's rules and the limits. */
export function validateWithLimits(schema: GraphQLSchema, document: DocumentNode, limits: OperationLimits): readonly GraphQLError[] {
  return validate(schema, document, [...specifiedRules, ...limitRules(limits)]);
}

function refuse(context: ValidationContext, message: string) {
  context.reportError(new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } }));
}

function maxAliases(max: number): ValidationRule {
  return (context) => {
    let count = 0;
    return {
      OperationDefinition: { enter: () => void (count = 0) },
      Field(node) {
        if (node.alias && ++count === max + 1) refuse(context, `Too many aliases: at most ${max} per operation`);
      },
    };
  };
}

function maxDirectives(max: number): ValidationRule {
  return (context) => {
    let count = 0;
    return {
      Directive() {
        if (++count === max + 1) refuse(context, `Too many directives: at most ${max} per document`);
      },
    };
  };
}

/**
 * Depth and cost of each operation, fragments unfolded (a fragment cycle is the spec's rules' to
 * report). Fragments are measured once per use: a document of fragments spreading fragments is
 * counted at its unfolded size, which is what makes it hostile.
 */
function depthAndCost({ maxDepth, maxCost }: OperationLimits): ValidationRule {
  return (context): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    return {
      OperationDefinition(operation: OperationDefinitionNode) {
        const { depth, cost } = measure(operation.selectionSet, fragments, new Set(), new Map());
        const name = operation.name ? ` ${operation.name.value}` : '';
        if (depth > maxDepth) refuse(context, `Operation${name} is too deep: ${depth} levels, at most ${maxDepth}`);
        if (cost > maxCost) refuse(context, `Operation${name} costs too much: ${cost}, at most ${maxCost}`);
      },
    };
  };
}

function measure(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  // each fragment measured once, so that fragments spreading fragments twice over cost linear time here
  measured: Map<string, { depth: number; cost: number }>,
): { depth: number; cost: number } {
  let depth = 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    let inner: { depth: number; cost: number } | undefined;
    if (selection.kind === Kind.FIELD && selection.name.value.startsWith('__')) {
      // introspection (GraphiQL nests type references deep) is off in production instead
      continue;
    } else if (selection.kind === Kind.FIELD) {
      const below = selection.selectionSet ? measure(selection.selectionSet, fragments, visiting, measured) : { depth: 0, cost: 0 };
      inner = { depth: below.depth + 1, cost: 1 + below.cost * pageOf(selection) };
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(selection.selectionSet, fragments, visiting, measured);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      inner = measured.get(name);
      if (!inner) {
        visiting.add(name);
        inner = measure(fragment.selectionSet, fragments, visiting, measured);
        visiting.delete(name);
        measured.set(name, inner);
      }
    }
    depth = Math.max(depth, inner.depth);
    cost += inner.cost;
  }
  return { depth, cost };
}

/** A page asked with `first`: its literal size, or the largest page when it comes from a variable. */
function pageOf(field: FieldNode): number {
  const first = field.arguments?.find((argument) => argument.name.value === 'first');
  if (!first) return 1;
  if (first.value.kind === Kind.INT) return Math.max(1, Math.min(Number(first.value.value), MAX_PAGE_SIZE));
  return MAX_PAGE_SIZE;
}
