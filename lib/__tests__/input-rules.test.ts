import { buildSchema, graphql, parse, subscribe } from 'graphql';
import { enforceInputRules } from '../input-rules';

const sdl = `
  input Note {
    "The note's text. At most 10 characters."
    text: String!
    "Tags. At most 4 characters."
    tags: [String!]
    "A note inside. At most 10 characters."
    reply: Note
  }
  type Query {
    echo("What to echo. At most 5 characters." word: String, count: Int): String
    note(input: Note!): String
    notes("Notes." notes: [Note!]!): Int
  }
  type Subscription {
    ticks("A channel. At most 5 characters." channel: String!): String
  }
`;

function schema() {
  const built = buildSchema(sdl);
  const fields = built.getQueryType()!.getFields();
  fields.echo.resolve = (_source, args: { word?: string }) => args.word ?? null;
  fields.note.resolve = (_source, args: { input: { text: string } }) => args.input.text;
  fields.notes.resolve = (_source, args: { notes: unknown[] }) => args.notes.length;
  const ticks = built.getSubscriptionType()!.getFields().ticks;
  ticks.subscribe = async function* () {
    yield { ticks: 'tick' };
  };
  return enforceInputRules(built);
}

const run = async (source: string, variableValues?: Record<string, unknown>) => graphql({ schema: schema(), source, variableValues });
const refusal = (result: Awaited<ReturnType<typeof run>>) => result.errors?.map((error) => [error.extensions.code, error.extensions.field, error.message]);

describe('the input rule', () => {
  test.each([
    ['NUL', 'a\u0000b', 'word must not contain control characters'],
    ['an escape', '\u001b[2J', 'word must not contain control characters'],
    ['DEL', 'a\u007f', 'word must not contain control characters'],
    ['a C1 control', 'a\u0085', 'word must not contain control characters'],
    ['a lone high surrogate', 'a\ud83d', 'word is not well-formed Unicode text'],
    ['a lone low surrogate', '\udc00a', 'word is not well-formed Unicode text'],
    ['one character over', 'abcdef', 'word must be at most 5 characters'],
  ])('refuses %s with BAD_USER_INPUT and the argument', async (_case, word, message) => {
    const result = await run('query($w: String) { echo(word: $w) }', { w: word });
    expect(refusal(result)).toEqual([['BAD_USER_INPUT', 'word', message]]);
  });

  test.each([['tab and line breaks', 'a\tb\r\n'], ['a surrogate pair', '🦊'], ['the maximum', 'abcde'], ['accents', 'Zoë']])(
    'lets %s pass',
    async (_case, word) => {
      const result = await run('query($w: String) { echo(word: $w) }', { w: word });
      expect(result).toEqual({ data: { echo: word } });
    },
  );

  test('checks literals as well as variables', async () => {
    expect(refusal(await run('{ echo(word: "toolong") }'))).toEqual([['BAD_USER_INPUT', 'word', 'word must be at most 5 characters']]);
  });

  test('names an input object field by its own name, down nested inputs and lists', async () => {
    expect(refusal(await run('query($n: Note!) { note(input: $n) }', { n: { text: 'ok', reply: { text: 'x\u0000' } } }))).toEqual([
      ['BAD_USER_INPUT', 'reply.text', 'reply.text must not contain control characters'],
    ]);
    expect(refusal(await run('query($n: Note!) { note(input: $n) }', { n: { text: 'ok', tags: ['ok', 'too long'] } }))).toEqual([
      ['BAD_USER_INPUT', 'tags', 'tags must be at most 4 characters'],
    ]);
    expect(refusal(await run('query($n: [Note!]!) { notes(notes: $n) }', { n: [{ text: 'ok' }, { text: '\ud800' }] }))).toEqual([
      ['BAD_USER_INPUT', 'notes.text', 'notes.text is not well-formed Unicode text'],
    ]);
    expect(await run('query($n: Note!) { note(input: $n) }', { n: { text: 'fine', tags: ['a'], reply: { text: 'also' } } })).toEqual({
      data: { note: 'fine' },
    });
  });

  test('refuses a subscription before its stream opens', async () => {
    const result = await subscribe({ schema: schema(), document: parse('subscription { ticks(channel: "a\\u0000") }') });
    expect('errors' in result && result.errors?.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
  });

  test('a schema with a text input of no stated maximum does not build', () => {
    expect(() => enforceInputRules(buildSchema('type Query { echo(word: String): String }'))).toThrow(
      'Query.echo.word is a text input without "At most N characters." in its description',
    );
    expect(() => enforceInputRules(buildSchema('input I { id: ID } type Query { f(i: I): Int }'))).toThrow('I.id is a text input');
  });
});
