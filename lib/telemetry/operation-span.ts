import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import { nameOperationSpan } from './spans';

/** The request's span takes its GraphQL operation's name (`mutation Checkout`) once Apollo knows it. */
export function operationSpanName<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, operationName }) {
          const span = trace.getActiveSpan();
          if (span) nameOperationSpan(span, { type: operation?.operation, name: operationName ?? undefined });
        },
      };
    },
  };
}
