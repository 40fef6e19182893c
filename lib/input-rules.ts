import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLFieldResolver,
  type GraphQLInputField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { badInput } from './errors';

/**
 * One rule for every text a client sends, in every subgraph: no control characters, well-formed
 * Unicode, and a maximum length that the schema's own description states ("At most N characters."),
 * so that what clients read and what is enforced cannot drift apart. It runs before any resolver
 * (and before the auth rules), so a refused value reaches no service, no database and no event.
 * Services keep their domain rules (an email's shape, a minimum length); this is the floor under them.
 */

/** The phrase every String and ID input's description carries; its number is the limit. */
const LIMIT = /At most (\d+) characters\./;

/**
 * C0 controls other than tab, line feed and carriage return, DEL, and C1 controls: nobody types
 * them, terminals and logs interpret them, and PostgreSQL refuses NUL in text outright.
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Half of a surrogate pair without its other half: not text, and invalid in UTF-8 and in PostgreSQL. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Check = (value: unknown, path: string) => void;

const TEXT_TYPES = new Set(['String', 'ID']);

function limitOf(input: GraphQLArgument | GraphQLInputField, owner: string): number {
  const match = LIMIT.exec(input.description ?? '');
  if (!match) {
    // A schema without the limit does not build: an unbounded text input cannot be added by mistake.
    throw new Error(`${owner}.${input.name} is a text input without "At most N characters." in its description`);
  }
  return Number(match[1]);
}

function textCheck(limit: number): Check {
  return (value, path) => {
    if (typeof value !== 'string') return;
    if (value.length > limit) throw badInput(`${path} must be at most ${limit} characters`, path);
    if (CONTROL.test(value)) throw badInput(`${path} must not contain control characters`, path);
    if (LONE_SURROGATE.test(value)) throw badInput(`${path} is not well-formed Unicode text`, path);
  };
}

/**
 * The check of one input's value, built once from its type; undefined when the type holds no text,
 * so that fields taking no text are left unwrapped.
 */
function checkOf(
  type: GraphQLInputType,
  input: GraphQLArgument | GraphQLInputField,
  owner: string,
  objects: ObjectChecks,
): Check | undefined {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const item = checkOf(nullable.ofType, input, owner, objects);
    if (!item) return undefined;
    return (value, path) => {
      if (Array.isArray(value)) for (const element of value) item(element, path);
      else item(value, path);
    };
  }
  if (isInputObjectType(nullable)) return objectCheck(nullable, objects);
  if (TEXT_TYPES.has(nullable.name)) return textCheck(limitOf(input, owner));
  return undefined;
}

/** Input objects' checks as they are built: `building` holds those whose fields are being visited. */
interface ObjectChecks {
  built: Map<GraphQLInputObjectType, Check | undefined>;
  building: Set<GraphQLInputObjectType>;
}

function objectCheck(type: GraphQLInputObjectType, objects: ObjectChecks): Check | undefined {
  // a type that refers to itself finds its own check once it is built; a built one is used as it is
  if (objects.building.has(type)) return (value, path) => objects.built.get(type)?.(value, path);
  if (objects.built.has(type)) return objects.built.get(type);
  objects.building.add(type);
  const fields = Object.values(type.getFields()).flatMap((field) => {
    const check = checkOf(field.type, field, type.name, objects);
    return check ? [{ name: field.name, check }] : [];
  });
  const check: Check | undefined = fields.length
    ? (value, path) => {
        if (value === null || typeof value !== 'object') return;
        const record = value as Record<string, unknown>;
        for (const field of fields) {
          if (record[field.name] !== undefined) field.check(record[field.name], path ? `${path}.${field.name}` : field.name);
        }
      }
    : undefined;
  objects.building.delete(type);
  objects.built.set(type, check);
  return check;
}

/** Wraps every field that takes text so that its arguments pass the rule before it resolves or subscribes. */
export function enforceInputRules(schema: GraphQLSchema): GraphQLSchema {
  const objects: ObjectChecks = { built: new Map(), building: new Set() };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const checks = field.args.flatMap((argument) => {
        const check = checkOf(argument.type, argument, `${type.name}.${field.name}`, objects);
        // errors name a value as services do: an input object argument's fields by their own names
        const path = argument.name === 'input' && isInputObjectType(getNamedType(argument.type)) ? '' : argument.name;
        return check ? [{ name: argument.name, path, check }] : [];
      });
      if (checks.length === 0) continue;
      const checkArguments = (args: Record<string, unknown>) => {
        for (const { name, path, check } of checks) {
          if (args[name] !== undefined && args[name] !== null) check(args[name], path);
        }
      };
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        checkArguments(args);
        return resolve(source, args, context, info);
      };
      const subscribe = field.subscribe;
      if (subscribe) {
        field.subscribe = (source, args, context, info) => {
          checkArguments(args);
          return subscribe(source, args, context, info);
        };
      }
    }
  }
  return schema;
}
