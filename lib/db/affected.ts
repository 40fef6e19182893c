/**
 * How many rows an UPDATE or DELETE run with `manager.query` changed: TypeORM answers those with
 * `[rows, rowCount]` (other statements with their rows alone), so a RETURNING list's length is
 * always 2 there, whatever was changed.
 */
export function affectedRows(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  throw new Error('not the answer to an UPDATE or DELETE');
}

/** The RETURNING rows of an UPDATE or DELETE run with `manager.query` (see affectedRows). */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  throw new Error('not the answer to an UPDATE or DELETE');
}
