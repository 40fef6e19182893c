import { buildSubgraphSchema } from '@apollo/subgraph';
import { typeDefs } from './serve';

/**
 * Entities across subgraphs: `catalog` owns products (a key, a compound key reaching into another
 * entity, a field with an argument, a nested object); `shipping` computes from them with @requires,
 * one of whose required fields takes an argument and one of which is a nested selection.
 */
export const PRODUCTS = [
  { upc: '1', name: 'Kettle', usd: 2000, weight: 12, dimensions: { width: 20, height: 30, depth: 20 } },
  // 1050 USD is 945 EUR: free shipping in dollars, not in euros, so the currency the estimate used shows
  { upc: '2', name: 'Lamp', usd: 1050, weight: 8, dimensions: { width: 15, height: 60, depth: 15 } },
  { upc: '3', name: 'Mug', usd: 300, weight: 2, dimensions: { width: 8, height: 10, depth: 8 } },
  { upc: '4', name: 'Rug', usd: 900, weight: 30, dimensions: { width: 200, height: 2, depth: 300 } },
];
type Product = (typeof PRODUCTS)[number];
const byUpc = (upc: string): Product | undefined => PRODUCTS.find((p) => p.upc === upc);
const VARIANTS = PRODUCTS.flatMap((p) => ['red', 'blue'].map((color) => ({ sku: `${p.upc}-${color}`, upc: p.upc, color })));

/** Prices in a currency, for `price(currency:)`: euros are 90 % of dollars. */
export const priceIn = (usd: number, currency: string) => (currency === 'EUR' ? Math.round(usd * 0.9) : usd);

export const catalog = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Query { products: [Product!]! catalog: [Product] product(upc: String!): Product }
    type Product @key(fields: "upc") {
      upc: String!
      name: String @shareable
      price(currency: String = "USD"): Int
      weight: Int
      dimensions: Dimensions
      variants: [Variant!]!
    }
    type Dimensions @shareable { width: Int height: Int depth: Int }
    type Variant @key(fields: "sku product { upc }") { sku: String! product: Product! color: String }`),
  resolvers: {
    Query: {
      products: () => PRODUCTS,
      catalog: () => PRODUCTS,
      product: (_: unknown, { upc }: { upc: string }) => byUpc(upc) ?? null,
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => byUpc(upc) ?? null,
      price: (product: Product, { currency }: { currency: string }) => priceIn(product.usd, currency),
      variants: (product: Product) => VARIANTS.filter((v) => v.upc === product.upc),
    },
    Variant: {
      __resolveReference: ({ sku }: { sku: string }) => VARIANTS.find((v) => v.sku === sku) ?? null,
      product: (variant: { upc: string }) => byUpc(variant.upc),
    },
  },
});

interface Represented {
  upc: string;
  price?: number;
  weight?: number;
  dimensions?: { width: number; height: number };
}

export const shipping = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Product @key(fields: "upc") {
      upc: String!
      price(currency: String = "USD"): Int @external
      weight: Int @external
      dimensions: Dimensions @external
      inStock: Boolean
      "free above 1000 EUR, else half the weight: needs the price in euros, not the default currency"
      shippingEstimate: Int @requires(fields: "price(currency: \\"EUR\\") weight")
      "a nested selection required"
      packaging: String @requires(fields: "dimensions { width height }")
    }
    type Dimensions @shareable { width: Int height: Int depth: Int }
    type Variant @key(fields: "sku product { upc }") { sku: String! product: Product! stock: Int }`),
  resolvers: {
    Product: {
      __resolveReference: (product: Represented) => ({ ...product, inStock: Number(product.upc) % 2 === 1 }),
      shippingEstimate: (product: Represented) => {
        if (product.price === undefined || product.weight === undefined) throw new Error('shippingEstimate without its required fields');
        return product.price > 1000 ? 0 : Math.round(product.weight / 2);
      },
      packaging: ({ dimensions }: Represented) => (!dimensions ? null : dimensions.width * dimensions.height > 500 ? 'crate' : 'box'),
    },
    Variant: {
      // the compound key as the representation carries it: the sku and the product's upc
      __resolveReference: ({ sku, product }: { sku: string; product: { upc: string } }) => ({ sku, product, stock: sku.length * Number(product.upc) }),
    },
  },
});
