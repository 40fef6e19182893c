import { hashPassword, verifyPassword } from '../passwords';

const cheap = { logN: 10, r: 8, p: 1 };

test('a hash verifies its password only, and never contains it', async () => {
  const hash = await hashPassword('correct horse battery', cheap);
  expect(hash).toMatch(/^scrypt\$10\$8\$1\$/);
  expect(hash).not.toContain('correct');
  expect(await verifyPassword('correct horse battery', hash)).toBe(true);
  expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
});

test('each hash has its own salt', async () => {
  expect(await hashPassword('same password', cheap)).not.toBe(await hashPassword('same password', cheap));
});

test('a hash made at another cost still verifies', async () => {
  const older = await hashPassword('pass phrase', { logN: 11, r: 8, p: 1 });
  expect(await verifyPassword('pass phrase', older)).toBe(true);
  expect(await verifyPassword('pass phrase', 'md5$abc')).toBe(false);
});
