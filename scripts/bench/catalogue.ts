import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { seededRandom } from '../../lib/seeded-random';

/**
 * A synthetic catalogue as a search engine sees a real one: a vocabulary of a few thousand words
 * whose frequencies follow Zipf's law (the k-th most common word is k times rarer than the first),
 * so that common words match a large share of listings and rare ones a handful; short titles,
 * longer descriptions; 8 categories; prices spread log-uniformly; some stock sold out; dates over
 * two years; sellers with reputation scores.
 */
export const VOCABULARY_SIZE = 5000;
export const CATEGORIES = ['electronics', 'books', 'home-garden', 'fashion', 'toys-games', 'sports-outdoors', 'art-collectibles', 'health-beauty'];

/** Deterministic, so that two runs load the same catalogue. */
export const random = seededRandom;

/**
 * Pronounceable made-up words (consonant-vowel syllables ending in a consonant), which the English
 * stemmer leaves alone, so a word's frequency is its lexeme's. Index 0 is the most common.
 */
export function vocabulary(size = VOCABULARY_SIZE): string[] {
  const consonants = 'bdfgklmnprstvz';
  const vowels = 'aeiou';
  const next = random(7);
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 2 + Math.floor(next() * 2);
    let word = '';
    for (let i = 0; i < syllables; i++) word += consonants[Math.floor(next() * consonants.length)] + vowels[Math.floor(next() * vowels.length)];
    words.add(word + consonants[Math.floor(next() * consonants.length)]);
  }
  return [...words];
}

/** Samples word ranks with probability ∝ 1/(rank+1), by inverting the cumulative distribution. */
export function zipfSampler(size: number, next: () => number): () => number {
  const cumulative = new Float64Array(size);
  let sum = 0;
  for (let k = 0; k < size; k++) cumulative[k] = sum += 1 / (k + 1);
  return () => {
    const target = next() * sum;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

export interface BenchSeller {
  id: string;
  score: number;
}

export function sellers(count: number, seed = 11): BenchSeller[] {
  const next = random(seed);
  // most sellers are rated well, a few poorly: a skewed spread between 1 and 5
  return Array.from({ length: count }, () => ({ id: randomUUID(), score: Math.round((5 - 4 * next() ** 2) * 100) / 100 }));
}

const DAY_MS = 86_400_000;
const BATCH = 5_000;

/**
 * Loads `count` ACTIVE listings straight into the listings table, in batches of one statement each
 * (the way a bulk import would: search learns of them from `npm run search:reindex`).
 */
export async function loadListings(
  db: DataSource,
  owners: BenchSeller[],
  count: number,
  onProgress: (loaded: number) => void,
): Promise<void> {
  const words = vocabulary();
  const next = random(42);
  const word = zipfSampler(words.length, next);
  const phrase = (n: number) => Array.from({ length: n }, () => words[word()]).join(' ');
  const now = Date.now();
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const columns = {
      seller: [] as string[],
      title: [] as string[],
      description: [] as string[],
      category: [] as string[],
      price: [] as number[],
      stock: [] as number[],
      created: [] as string[],
    };
    for (let i = 0; i < n; i++) {
      columns.seller.push(owners[Math.floor(next() * owners.length)].id);
      const title = phrase(3 + Math.floor(next() * 6));
      columns.title.push(title[0].toUpperCase() + title.slice(1));
      columns.description.push(phrase(20 + Math.floor(next() * 21)) + '.');
      columns.category.push(CATEGORIES[Math.floor(next() * CATEGORIES.length)]);
      // $1 to $1,000, cheap things commoner
      columns.price.push(Math.round(100 * 1000 ** next()));
      columns.stock.push(next() < 0.1 ? 0 : 1 + Math.floor(next() * 50));
      columns.created.push(new Date(now - Math.floor(next() * 730 * DAY_MS)).toISOString());
    }
    await db.query(
      `INSERT INTO listings (seller_id, title, description, category_slug, price_amount, currency, stock, status, created_at, updated_at)
       SELECT s, t, d, c, p, 'USD', k, 'ACTIVE', at, at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::timestamptz[]) AS x(s, t, d, c, p, k, at)`,
      [columns.seller, columns.title, columns.description, columns.category, columns.price, columns.stock, columns.created],
    );
    onProgress(start + n);
  }
}
