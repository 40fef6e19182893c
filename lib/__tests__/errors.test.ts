import { formatErrorForClient } from '../errors';

test('known codes pass with their message and safe extensions', () => {
  expect(
    formatErrorForClient({ message: 'title must not be empty', extensions: { code: 'BAD_USER_INPUT', field: 'title', stacktrace: ['at x'] } }),
  ).toEqual({ message: 'title must not be empty', extensions: { code: 'BAD_USER_INPUT', field: 'title' } });
});

test('unknown errors become an opaque INTERNAL_SERVER_ERROR', () => {
  expect(
    formatErrorForClient({ message: 'relation "users" does not exist', path: ['me'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } }),
  ).toEqual({ message: 'Internal server error', path: ['me'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  expect(formatErrorForClient({ message: 'boom' }).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
});

test("Apollo's document errors are the client's mistake", () => {
  expect(formatErrorForClient({ message: 'Cannot query field "x"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }).extensions).toEqual({
    code: 'BAD_USER_INPUT',
  });
});
