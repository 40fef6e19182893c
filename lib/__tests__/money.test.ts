import { formatMoney, isCurrency, minorUnitsPerMajor } from '../money';

test('formats minor units in the currency of the amount', () => {
  expect(formatMoney({ amount: 1250, currency: 'USD' })).toBe('$12.50');
  expect(formatMoney({ amount: 1250, currency: 'JPY' })).toBe('¥1,250');
  expect(formatMoney({ amount: 1250, currency: 'EUR' })).toBe('€12.50');
});

test('knows ISO 4217 codes and their minor units', () => {
  expect(isCurrency('USD')).toBe(true);
  expect(isCurrency('usd')).toBe(false);
  expect(isCurrency('XYZ')).toBe(false);
  expect(minorUnitsPerMajor('JPY')).toBe(1);
  expect(minorUnitsPerMajor('KWD')).toBe(1000);
});
