import { summarise } from '../reputation';

test('no reviews: the prior, no average, zero counts', () => {
  expect(summarise({ counts: [0, 0, 0, 0, 0] })).toEqual({
    score: 3.5,
    averageRating: null,
    reviewCount: 0,
    ratingDistribution: [1, 2, 3, 4, 5].map((rating) => ({ rating, count: 0 })),
  });
});

test('one 5-star review does not outrank fifty reviews averaging 4.8', () => {
  const lucky = summarise({ counts: [0, 0, 0, 0, 1] });
  const steady = summarise({ counts: [0, 0, 0, 10, 40] });
  expect(steady.averageRating).toBe(4.8);
  expect(lucky.averageRating).toBe(5);
  expect(steady.score).toBeGreaterThan(lucky.score);
  expect(lucky.score).toBeCloseTo(3.64, 2);
});

test('the score stays within [0, 5]', () => {
  expect(summarise({ counts: [0, 0, 0, 0, 10_000] }).score).toBeLessThanOrEqual(5);
  expect(summarise({ counts: [10_000, 0, 0, 0, 0] }).score).toBeGreaterThanOrEqual(1);
});
