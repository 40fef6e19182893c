import {
  defaultFieldResolver,
  isObjectType,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { forbidden, unauthenticated } from '../errors';
import { OPERATOR, operatorRefusal } from './operators';
import type { Viewer } from './viewer';

interface Rule {
  authenticated: boolean;
  /** Alternatives, each a set of scopes that must all be held: [["a", "b"], ["c"]] means (a and b) or c. */
  scopes?: string[][];
}

function ruleOf(directives: readonly ConstDirectiveNode[] | undefined): Rule | undefined {
  let rule: Rule | undefined;
  for (const directive of directives ?? []) {
    if (directive.name.value === 'authenticated') rule = { ...rule, authenticated: true };
    if (directive.name.value === 'requiresScopes') {
      const arg = directive.arguments?.find((a) => a.name.value === 'scopes');
      const scopes = arg ? (valueFromASTUntyped(arg.value) as string[][]) : [];
      rule = { authenticated: true, scopes };
    }
  }
  return rule;
}

function check(rule: Rule, viewer: Viewer | null | undefined): void {
  if (!viewer) throw unauthenticated();
  if (rule.scopes && !rule.scopes.some((all) => all.every((scope) => viewer.scopes.includes(scope)))) {
    if (rule.scopes.some((all) => all.includes(OPERATOR))) throw forbidden(operatorRefusal(viewer));
    throw forbidden(`This needs the ${rule.scopes.map((all) => all.join(' and ')).join(' or ')} role`);
  }
}

/**
 * Enforces federation's @authenticated and @requiresScopes where the subgraph's SDL puts them, on
 * fields and on whole types. The router strips these directives before the gateway sees the
 * supergraph, so each subgraph guards its own fields.
 */
export function enforceAuthDirectives(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeRule = ruleOf(type.astNode?.directives);
    for (const field of Object.values(type.getFields())) {
      const rule = ruleOf(field.astNode?.directives) ?? typeRule;
      if (!rule) continue;
      const resolve: GraphQLFieldResolver<unknown, { viewer?: Viewer | null }> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        check(rule, context.viewer);
        return resolve(source, args, context, info);
      };
      // a subscription is refused before its source stream opens, not at its first event
      const subscribe: GraphQLFieldResolver<unknown, { viewer?: Viewer | null }> | undefined = field.subscribe;
      if (subscribe) {
        field.subscribe = (source, args, context, info) => {
          check(rule, context.viewer);
          return subscribe(source, args, context, info);
        };
      }
    }
  }
  return schema;
}
