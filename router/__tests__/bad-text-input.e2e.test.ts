import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
} from 'graphql';
import { codes } from '../../lib/client/graphql-client';
import { routerSocket } from '../../lib/testing/live';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Every text argument of the public API, at any depth of its input objects, sent the values an attacker
 * tries first: each is refused with BAD_USER_INPUT naming the value, and none reaches a 500.
 */
const api = buildSchema(readFileSync(join(__dirname, '..', '..', 'schema', 'api.graphql'), 'utf8'));
const LIMIT = /At most (\d+) characters\./;

interface Target {
  operation: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
  /** Argument name, then input fields down to the text value. */
  path: string[];
  limit: number;
}

/** The text inputs under one argument: [path below it, the input that holds the limit]. */
function textInputs(type: GraphQLInputType, input: GraphQLArgument | GraphQLInputField, seen: Set<string>): [string[], number][] {
  const named = getNamedType(type);
  if (isInputObjectType(named)) {
    if (seen.has(named.name)) return [];
    const inner = new Set(seen).add(named.name);
    return Object.values(named.getFields()).flatMap((field) =>
      textInputs(field.type, field, inner).map(([path, limit]): [string[], number] => [[field.name, ...path], limit]),
    );
  }
  if (named.name !== 'String' && named.name !== 'ID') return [];
  const limit = LIMIT.exec(input.description ?? '');
  if (!limit) throw new Error(`${input.name} has no stated maximum length`);
  return [[[], Number(limit[1])]];
}

function targets(): Target[] {
  const roots = [
    ['query', api.getQueryType()],
    ['mutation', api.getMutationType()],
    ['subscription', api.getSubscriptionType()],
  ] as const;
  return roots.flatMap(([operation, root]) =>
    Object.values(root?.getFields() ?? {}).flatMap((field) =>
      field.args.flatMap((arg) => textInputs(arg.type, arg, new Set()).map(([path, limit]) => ({ operation, field, path: [arg.name, ...path], limit }))),
    ),
  );
}

/** A value of the type that passes GraphQL's own validation: required fields only, list of one. */
function sample(type: GraphQLInputType): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return [sample(nullable.ofType)];
  if (isInputObjectType(nullable)) {
    return Object.fromEntries(
      Object.values(nullable.getFields())
        .filter((field) => isNonNullType(field.type) && field.defaultValue === undefined)
        .map((field) => [field.name, sample(field.type)]),
    );
  }
  if (isEnumType(nullable)) return nullable.getValues()[0].value;
  switch (nullable.name) {
    case 'ID':
      return randomUUID();
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date().toISOString();
    default:
      return 'text';
  }
}

/** Puts `bad` at `path` inside a sample of the argument, creating the optional objects on the way. */
function withValue(type: GraphQLInputType, path: string[], bad: string): unknown {
  if (path.length === 0) return isListType(getNullableType(type)) ? [bad] : bad;
  const nullable = getNullableType(type);
  if (isListType(nullable)) return [withValue(nullable.ofType, path, bad)];
  if (!isInputObjectType(nullable)) throw new Error(`cannot go into ${String(type)}`);
  const field = nullable.getFields()[path[0]];
  return { ...(sample(nullable) as object), [path[0]]: withValue(field.type, path.slice(1), bad) };
}

function request(target: Target, bad: string) {
  const { field } = target;
  const variables: Record<string, unknown> = {};
  const declarations: string[] = [];
  const args: string[] = [];
  for (const arg of field.args) {
    const mine = arg.name === target.path[0];
    if (!mine && !isNonNullType(arg.type)) continue;
    variables[arg.name] = mine ? withValue(arg.type, target.path.slice(1), bad) : sample(arg.type);
    declarations.push(`$${arg.name}: ${String(arg.type)}`);
    args.push(`${arg.name}: $${arg.name}`);
  }
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  const query = `${target.operation} Probe(${declarations.join(', ')}) { ${field.name}(${args.join(', ')})${selection} }`;
  return { query, variables };
}

/** How services name a value: an `input` argument's fields by their own names. */
const fieldName = (path: string[]) => (path[0] === 'input' && path.length > 1 ? path.slice(1) : path).join('.');

const BAD: [string, (limit: number) => string][] = [
  ['a NUL character', () => 'before\u0000after'],
  ['an escape sequence', () => '\u001b[31mred'],
  ['a lone surrogate', () => 'half \ud83d of a pair'],
  ['one character too many', (limit) => 'x'.repeat(limit + 1)],
];

let stack: TestStack;
beforeAll(async () => {
  // hundreds of anonymous requests a minute, which the router's own limit would cut short
  stack = await startTestStack({ env: { ...process.env, RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000' } });
});
afterAll(() => stack?.stop());

const everyTarget = targets();
const httpTargets = everyTarget.filter((target) => target.operation !== 'subscription');

test('the public API has text inputs to try, each with a stated maximum', () => {
  expect(httpTargets.length).toBeGreaterThan(30);
  expect(everyTarget.some((target) => target.operation === 'subscription')).toBe(true);
});

describe.each(BAD)('%s', (_name, value) => {
  test.each(httpTargets.map((target) => [`${target.field.name}(${target.path.join('.')})`, target] as const))(
    'in %s is refused as BAD_USER_INPUT naming it',
    async (_label, target) => {
      const { query, variables } = request(target, value(target.limit));
      const result = await stack.client.query(query, variables);
      expect(codes(result)).not.toContain('INTERNAL_SERVER_ERROR');
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: fieldName(target.path) });
    },
  );
});

test('a subscription argument is held to the same rule over WebSocket', async () => {
  const target = everyTarget.find((candidate) => candidate.operation === 'subscription')!;
  const { query, variables } = request(target, 'before\u0000after');
  const socket = routerSocket(stack.routerUrl);
  try {
    const errors = await new Promise<unknown[]>((resolve) => {
      socket.subscribe(
        { query, variables },
        {
          next: ({ errors }) => errors && resolve(errors as unknown[]),
          error: (error) => resolve(Array.isArray(error) ? error : [error]),
          complete: () => resolve([]),
        },
      );
    });
    expect(errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: fieldName(target.path) }) })]);
  } finally {
    await socket.dispose();
  }
});

test('text that is merely unusual passes: line breaks, tabs, emoji, and exactly the maximum', async () => {
  const signUp = httpTargets.find((target) => target.field.name === 'signUp' && target.path.at(-1) === 'displayName')!;
  const name = `Zoë 🦊\tline\nbreak`.padEnd(signUp.limit, '.');
  const result = await stack.client.op<{ signUp: { user: { displayName: string } } }>('SignUp', {
    input: { email: `unusual-${randomUUID()}@example.com`, password: 'correct horse battery', displayName: name },
  });
  expect(result.errors).toBeUndefined();
  expect(result.data?.signUp.user.displayName).toBe(name.trim());
});

test('a refused value changes nothing', async () => {
  const users = async () => Number((await stack.subgraphs.accounts.db.query('SELECT count(*) AS n FROM users'))[0].n);
  const before = await users();
  const result = await stack.client.op('SignUp', {
    input: { email: `nul-${randomUUID()}@example.com`, password: 'correct horse battery', displayName: 'Eve\u0000' },
  });
  expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  expect(await users()).toBe(before);
});

test('a body that is not UTF-8 is refused before it is parsed', async () => {
  const body = Buffer.concat([Buffer.from('{"query":"{ listings(query: \\"'), Buffer.from([0xff, 0xfe]), Buffer.from('\\") { totalCount } }"}')]);
  const response = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({ errors: [{ message: 'request body is not valid UTF-8', extensions: { code: 'BAD_USER_INPUT' } }] });
});
