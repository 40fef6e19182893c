import { reputationPriorFromEnv } from '../../lib/reputation-prior';
import { seededRandom } from '../../lib/seeded-random';
import { projectListings } from './search/projection';
import type { DataSource } from 'typeorm';
import { minorUnitsPerMajor } from '../../lib/money';
import { ListingEntity, type ListingStatus } from './entities';

interface Assortment {
  /** The opening sentence of every description in the category. */
  blurb: string;
  adjectives: string[];
  nouns: string[];
  /** Price bounds in major units. */
  price: [number, number];
}

/** Keyed by the slugs the migration creates. */
const CATALOGUE: Record<string, Assortment> = {
  electronics: {
    blurb: 'Tested and fully working, with a twelve-month warranty.',
    adjectives: ['Wireless', 'Compact', 'Refurbished', 'Noise-cancelling', 'Rechargeable', 'Smart'],
    nouns: [
      'Headphones', 'Bluetooth Speaker', 'Mechanical Keyboard', 'USB-C Charger', 'Watch', 'Action Camera',
      'E-Reader', 'Gaming Mouse', 'Portable SSD', 'Desk Lamp',
    ],
    price: [15, 400],
  },
  books: {
    blurb: 'Clean pages, no markings and a tight binding.',
    adjectives: ['Illustrated', 'Signed', 'First Edition', 'Paperback', 'Hardcover', 'Annotated'],
    nouns: [
      'Cookbook', 'Mystery Novel', 'Field Guide to Birds', 'Poetry Collection', 'Graphic Novel',
      'Travel Guide', 'History of Rome', 'Science Fiction Anthology', 'Picture Book',
      'Programming Handbook',
    ],
    price: [5, 60],
  },
  'home-garden': {
    blurb: 'Brings warmth to the kitchen, the living room or the patio.',
    adjectives: ['Handmade', 'Rustic', 'Ceramic', 'Oak', 'Minimalist', 'Vintage'],
    nouns: [
      'Planter', 'Tablecloth', 'Skillet', 'Garden Trowel', 'Scented Candle', 'Throw Blanket',
      'Herb Seed Kit', 'Wall Clock', 'Cutting Board', 'Watering Can',
    ],
    price: [8, 150],
  },
  fashion: {
    blurb: 'True to size; see the photos for measurements.',
    adjectives: ['Leather', 'Wool', 'Organic Cotton', 'Linen', 'Vintage', 'Waterproof'],
    nouns: [
      'Wallet', 'Scarf', 'Jacket', 'Sneakers', 'Tie', 'Sunglasses', 'Beanie', 'Crossbody Bag', 'Shirt',
      'Raincoat',
    ],
    price: [10, 250],
  },
  'toys-games': {
    blurb: 'Hours of fun for children and grown-ups alike.',
    adjectives: ['Wooden', 'Classic', 'Family', 'Educational', 'Collector', 'Travel'],
    nouns: [
      'Jigsaw Puzzle', 'Board Game', 'Train Set', 'Plush Bear', 'Building Blocks', 'Card Game', 'Kite',
      'Model Airplane Kit', 'Puppet Theatre', 'Chess Set',
    ],
    price: [6, 120],
  },
  'sports-outdoors': {
    blurb: 'Ready for the trail, the court or the campsite.',
    adjectives: ['Lightweight', 'Ultralight', 'Durable', 'Trail', 'Pro', 'Foldable'],
    nouns: [
      'Yoga Mat', 'Camping Tent', 'Running Shoes', 'Water Bottle', 'Hiking Backpack', 'Tennis Racket',
      'Chalk Bag', 'Sleeping Bag', 'Bike Helmet', 'Resistance Bands',
    ],
    price: [8, 350],
  },
  'art-collectibles': {
    blurb: 'A one-of-a-kind piece for collectors and art lovers.',
    adjectives: ['Original', 'Limited Edition', 'Hand-painted', 'Antique', 'Framed', 'Signed'],
    nouns: [
      'Watercolour Print', 'Postcard Set', 'Vase', 'Oil Painting', 'Enamel Pin', 'Poster', 'Figurine',
      'Linocut Print', 'Stamp Album', 'Brass Compass',
    ],
    price: [10, 900],
  },
  'health-beauty': {
    blurb: 'Gentle on skin, with no parabens and no animal testing.',
    adjectives: ['Organic', 'Natural', 'Vegan', 'Unscented', 'Soothing', 'Travel-size'],
    nouns: [
      'Face Serum', 'Lavender Soap', 'Toothbrush Set', 'Hair Oil', 'Lip Balm Trio', 'Bath Salts',
      'Massage Roller', 'Hand Cream', 'Beard Kit', 'Sunscreen',
    ],
    price: [4, 90],
  },
};

const SENTENCES = [
  'Built to last and easy to care for.',
  'A thoughtful gift for friends and family.',
  'Packed carefully and shipped within two working days.',
  'Made in small batches by independent makers.',
  'Gently used and in excellent condition.',
  'Brand new in its original packaging.',
  'Ask us anything before you buy: we answer within a day.',
  'Free returns within thirty days.',
  'Our best seller this season.',
  'Sourced responsibly and checked by hand.',
];

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows per INSERT: far below PostgreSQL's limit of 65535 parameters. */
const BATCH = 100;


/**
 * Demo listings for a fresh stack, spread over every category and the given sellers, each in its
 * seller's currency: mostly ACTIVE, a few DRAFT, created over the last ninety days.
 * Does nothing (and returns 0) once any listing exists.
 */
export async function seedListings(
  db: DataSource,
  sellers: { id: string; currency: string }[],
  count = 300,
): Promise<number> {
  if (sellers.length === 0 || count <= 0) return 0;
  // deterministic, so that every fresh stack shows the same catalogue
  const next = seededRandom(20241119);
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
  const sentences = () => {
    const first = Math.floor(next() * SENTENCES.length);
    const second = (first + 1 + Math.floor(next() * (SENTENCES.length - 1))) % SENTENCES.length;
    return `${SENTENCES[first]} ${SENTENCES[second]}`;
  };
  const now = Date.now();
  const slugs = Object.keys(CATALOGUE);
  const rows = Array.from({ length: count }, (_, i) => {
    const slug = slugs[i % slugs.length];
    const { blurb, adjectives, nouns, price } = CATALOGUE[slug];
    const seller = pick(sellers);
    const adjective = pick(adjectives);
    const noun = pick(nouns);
    const [low, high] = price;
    // log-uniform: cheap things are common, dear ones rare
    const major = Math.round(low * (high / low) ** next());
    const unit = minorUnitsPerMajor(seller.currency);
    const createdAt = new Date(now - Math.floor(next() * 90 * DAY_MS));
    const status: ListingStatus = next() < 0.9 ? 'ACTIVE' : 'DRAFT';
    return {
      sellerId: seller.id,
      title: `${adjective} ${noun}`,
      description: `${blurb} ${sentences()}`,
      categorySlug: slug,
      priceAmount: unit > 1 ? major * unit - pick([0, 1, unit / 2]) : major,
      currency: seller.currency,
      stock: next() < 0.1 ? 0 : 1 + Math.floor(next() * 50),
      status,
      createdAt,
      updatedAt: createdAt,
    };
  });
  return db.transaction(async (tx) => {
    if (await tx.getRepository(ListingEntity).exists()) return 0;
    for (let start = 0; start < rows.length; start += BATCH) {
      const { identifiers } = await tx.createQueryBuilder().insert().into(ListingEntity).values(rows.slice(start, start + BATCH)).execute();
      await projectListings(tx, identifiers.map((key) => String(key.id)), reputationPriorFromEnv(process.env).mean);
    }
    return rows.length;
  });
}
