/**
 * Example variables for every operation of schema/operations, made for the demo data of a fresh local
 * stack (scripts/seed.ts: its accounts, the words and categories of its listings). Ids of things only a
 * signed-in user has (orders, payments, addresses) cannot be known in advance: those examples hold a
 * placeholder and say where to find one. Pure data, so that tests can check every example against the schema.
 */

/** Ids of the public catalogue, looked up when the page opens; absent ones show as placeholders. */
export interface DemoIds {
  listingId?: string;
  sellerId?: string;
}

interface Example {
  variables: Record<string, unknown>;
  /** Shown above the variables as comments. */
  notes?: string[];
}

const AS_BUYER = 'Log in first (the bar at the top), e.g. as buyer@demo.market.';
const AS_SELLER = 'Log in as a seller first (the bar at the top), e.g. alice@demo.market; her prices are in USD.';
const AS_OPERATOR = 'Log in as an operator first (the bar at the top): ops@demo.market, once two-factor is on for it (account-security tab).';
const APP_CODE = '<code from your authenticator app>';
const ORDER_ID = '<order id>';
const FIND_ORDER = 'Replace <order id> with an order of yours: MyOrders or SellerOrders lists them, Checkout returns new ones.';
const OWN_LISTING_ID = '<listing id>';
const REVIEW_ID = '<review id>';
const DISPUTE_ID = '<dispute id>';
const FIND_DISPUTE = 'Replace <dispute id> with an id from MyDisputes (or OpenDispute).';
const FIND_REVIEW = 'Replace <review id> with an id from SellerReviews (seller.reviews.edges[].node.id).';
const FIND_OWN_LISTING = 'Replace <listing id> with one of your listings: CreateListing returns it, MyListings lists them.';

function examples({ listingId, sellerId }: DemoIds): Record<string, Example> {
  const listing = listingId ?? '<listing id>';
  const seller = sellerId ?? '<seller id>';
  const findListing = listingId ? [] : ['Replace <listing id> with an id from SearchListings (edges[].node.id).'];
  const findSeller = sellerId ? [] : ['Replace <seller id> with an id from SearchListings (edges[].node.seller.id).'];
  const checkoutItems = [{ listingId: listing, quantity: 1 }];
  return {
    // accounts
    SignUp: {
      variables: { input: { email: 'newcomer@demo.market', password: 'demo-password', displayName: 'New Comer' } },
      notes: ['A second run answers CONFLICT: the email is taken by then.'],
    },
    LogIn: {
      variables: { input: { email: 'buyer@demo.market', password: 'demo-password' } },
      notes: ['The bar at the top logs in too, and sends the token with every request.'],
    },
    BecomeSeller: { variables: { input: { shopName: 'Newcomer Goods', country: 'US', currency: 'USD' } }, notes: [AS_BUYER] },

    // account security
    RequestPasswordReset: { variables: { email: 'buyer@demo.market' } },
    ResetPassword: {
      variables: { token: '<token from the reset link>', newPassword: 'a new demo password' },
      notes: ['Replace <token from the reset link> with the `token` query parameter of the link RequestPasswordReset emails.'],
    },
    ResetPasswordWithCode: {
      variables: { token: '<token from the reset link>', newPassword: 'a new demo password', code: APP_CODE },
      notes: ['Replace the token as for ResetPassword, and the code with a current one from your app (or a recovery code).'],
    },
    ChangePassword: {
      variables: { currentPassword: 'demo-password', newPassword: 'a new demo password' },
      notes: [AS_BUYER, 'Afterwards the account no longer takes demo-password.'],
    },
    VerifyEmail: {
      variables: { token: '<token from the verification link>' },
      notes: ['Replace it with the `token` query parameter of the link sign-up emails.'],
    },
    RefreshSession: {
      variables: { refreshToken: '<refresh token>' },
      notes: ['Replace <refresh token> with refreshToken from LogIn or SignUp; each works once. The bar at the top renews its own session.'],
    },
    LogOut: {
      variables: { refreshToken: '<refresh token>' },
      notes: ['Replace <refresh token> with the newest refreshToken of the session to end.'],
    },
    ConfirmTwoFactor: {
      variables: { code: APP_CODE },
      notes: [AS_BUYER, 'Add the secret from EnableTwoFactor to an authenticator app (otpauthUrl makes a QR code), then enter its current code.'],
    },
    LogInWithCode: {
      variables: { input: { email: 'ops@demo.market', password: 'demo-password', code: APP_CODE } },
      notes: ['The bar at the top asks for the code when an account needs one.'],
    },
    DisableTwoFactor: { variables: { code: APP_CODE }, notes: [AS_BUYER, 'A current code from your app, or a recovery code.'] },
    DeleteMyAccount: {
      variables: { password: 'demo-password' },
      notes: [AS_BUYER, 'Refused while any of your orders is unfinished; otherwise the account is gone for good (the demo data seeds it again only on a fresh .data).'],
    },

    // listings
    CreateListing: {
      variables: {
        input: {
          title: 'Handmade Oak Cutting Board',
          description: 'Cut from a single piece of oak and oiled by hand.',
          price: { amount: 3500, currency: 'USD' },
          category: 'home-garden',
          stock: 5,
        },
      },
      notes: [AS_SELLER],
    },
    PublishListing: { variables: { id: OWN_LISTING_ID }, notes: [AS_SELLER, FIND_OWN_LISTING] },
    UpdateListing: {
      variables: { id: OWN_LISTING_ID, input: { stock: 10, price: { amount: 3200, currency: 'USD' } } },
      notes: [AS_SELLER, FIND_OWN_LISTING],
    },
    ArchiveListing: { variables: { id: OWN_LISTING_ID }, notes: [AS_SELLER, FIND_OWN_LISTING] },
    SearchListings: { variables: { query: 'wireless', filter: { category: 'electronics', inStock: true }, first: 5 } },
    Listing: { variables: { id: listing }, notes: findListing },
    MyListings: { variables: { first: 10 }, notes: [AS_SELLER] },

    // fulfilment
    AddAddress: {
      variables: {
        input: { name: 'Demo Buyer', line1: '2 Market Street', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
        makeDefault: false,
      },
      notes: [AS_BUYER],
    },
    RemoveAddress: { variables: { id: '<address id>' }, notes: [AS_BUYER, 'Replace <address id> with an id from MyAddresses.'] },
    ListingFulfillment: { variables: { id: listing }, notes: findListing },
    SetShippingRates: {
      variables: {
        rates: [
          { country: 'US', price: { amount: 499, currency: 'USD' }, freeOver: { amount: 5000, currency: 'USD' }, minDays: 2, maxDays: 5 },
          { country: '*', price: { amount: 1999, currency: 'USD' }, minDays: 7, maxDays: 21 },
        ],
      },
      notes: [AS_SELLER],
    },
    SellerShipping: { variables: { sellerId: seller }, notes: findSeller },
    CheckoutWithDelivery: {
      variables: { input: { items: checkoutItems, idempotencyKey: 'playground-delivery-1' } },
      notes: [AS_BUYER, 'Goods ship to the default address of your address book. The same idempotencyKey returns the same purchase.', ...findListing],
    },
    ShipOrderWithCarrier: { variables: { id: ORDER_ID, carrier: 'UPS', trackingNumber: '1Z999AA10123456784' }, notes: [AS_SELLER, FIND_ORDER] },
    OrderDelivery: { variables: { id: ORDER_ID }, notes: [AS_BUYER, FIND_ORDER] },

    // operators
    SetCommissionRules: {
      variables: {
        input: {
          defaultRateBps: 1000,
          categories: [{ category: 'art-collectibles', rateBps: 1500 }],
          tiers: [
            { currency: 'USD', fromAmount: 0, rateBps: 1000 },
            { currency: 'USD', fromAmount: 100000, rateBps: 800 },
          ],
        },
      },
      notes: [AS_OPERATOR],
    },
    ReconciliationRuns: { variables: { first: 5 }, notes: [AS_OPERATOR] },
    RemoveListing: {
      variables: { id: listing, reason: 'Counterfeit goods are not allowed on the marketplace.' },
      notes: [AS_OPERATOR, 'For good: the listing leaves search and checkout, and its seller is told the reason.', ...findListing],
    },
    SuspendSeller: {
      variables: { sellerId: seller, reason: 'Several buyers reported items that never arrived.' },
      notes: [AS_OPERATOR, 'ReinstateSeller undoes it.', ...findSeller],
    },
    ReinstateSeller: { variables: { sellerId: seller }, notes: [AS_OPERATOR, ...findSeller] },

    DisputeQueue: { variables: { status: 'AWAITING_SELLER', first: 20 }, notes: [AS_OPERATOR, 'Leave status out for every dispute: open ones first, oldest first.'] },
    ResolveDispute: {
      variables: { id: DISPUTE_ID, outcome: 'PARTIAL_REFUND', refundAmount: 1500, note: 'The parcel arrived late and dented: part of the price back.' },
      notes: [AS_OPERATOR, 'Replace <dispute id> with an id from DisputeQueue. REFUND_BUYER and RELEASE_TO_SELLER need no refundAmount.'],
    },
    AuditLog: { variables: { filter: { action: 'seller.suspended' }, first: 20 }, notes: [AS_OPERATOR, 'Newest first; every filter is optional (action, actorId, targetType, targetId, from, to).'] },

    // trust and safety
    OpenDispute: {
      variables: { orderId: ORDER_ID, reason: 'NOT_RECEIVED', details: 'Shipped three weeks ago and the tracking has not moved since.' },
      notes: [AS_BUYER, 'On an order of yours that is SHIPPED or DELIVERED and not yet paid out to its seller.', FIND_ORDER],
    },
    AddDisputeMessage: { variables: { id: DISPUTE_ID, body: 'Here is the photo of the empty mailbox.' }, notes: [AS_BUYER, FIND_DISPUTE] },
    Dispute: { variables: { id: DISPUTE_ID }, notes: [AS_BUYER, FIND_DISPUTE] },
    MyDisputes: { variables: { first: 10 }, notes: [AS_BUYER] },
    ReportListing: {
      variables: { listingId: listing, reason: 'MISLEADING', details: 'The photos show a different item.' },
      notes: [AS_BUYER, 'Once per listing: a second report answers CONFLICT.', ...findListing],
    },

    // orders
    Checkout: {
      variables: { input: { items: checkoutItems, idempotencyKey: 'playground-checkout-1' } },
      notes: [AS_BUYER, 'The same idempotencyKey returns the same purchase: change it for another one.', ...findListing],
    },
    AcceptOrder: { variables: { id: ORDER_ID }, notes: [AS_SELLER, FIND_ORDER] },
    ShipOrder: { variables: { id: ORDER_ID, trackingNumber: '1Z999AA10123456784' }, notes: [AS_SELLER, FIND_ORDER] },
    ConfirmDelivery: { variables: { id: ORDER_ID }, notes: [AS_BUYER, FIND_ORDER] },
    CancelOrder: { variables: { id: ORDER_ID, reason: 'Ordered by mistake' }, notes: [AS_BUYER, FIND_ORDER] },
    Order: { variables: { id: ORDER_ID }, notes: [AS_BUYER, FIND_ORDER] },
    MyOrders: { variables: { first: 10 }, notes: [AS_BUYER] },
    SellerOrders: { variables: { status: 'PAID', first: 10 }, notes: [AS_SELLER] },

    // payments
    ConfirmTestPayment: {
      variables: { paymentId: '<payment id>', card: '4242424242424242' },
      notes: [AS_BUYER, 'Replace <payment id> with payment.id from Checkout.'],
    },
    RefundOrder: { variables: { orderId: ORDER_ID, amount: 500, reason: 'Arrived damaged' }, notes: [AS_SELLER, FIND_ORDER] },

    // payouts
    StartPayoutOnboarding: {
      variables: { returnUrl: 'http://localhost/payouts/done', refreshUrl: 'http://localhost/payouts/again' },
      notes: [AS_SELLER],
    },
    SellerMoney: { variables: { first: 10 }, notes: [AS_SELLER] },
    SetPayoutSchedule: { variables: { schedule: 'WEEKLY' }, notes: [AS_SELLER] },
    OrderFees: { variables: { id: ORDER_ID }, notes: [AS_BUYER, FIND_ORDER] },

    // notifications
    MyNotifications: { variables: { first: 10, unreadOnly: true }, notes: [AS_BUYER] },
    SetNotificationPreference: { variables: { kind: 'NEW_MESSAGE', inApp: true, email: false }, notes: [AS_BUYER] },
    OrderMessages: { variables: { orderId: ORDER_ID, first: 20 }, notes: [AS_BUYER, FIND_ORDER] },
    SendOrderMessage: { variables: { orderId: ORDER_ID, body: 'Hello! Could you wrap it as a gift?' }, notes: [AS_BUYER, FIND_ORDER] },

    // reputation
    CreateReview: {
      variables: { input: { orderId: ORDER_ID, rating: 5, body: 'Arrived quickly and exactly as described.' } },
      notes: [AS_BUYER, 'Reviews are for DELIVERED or COMPLETED orders.', FIND_ORDER],
    },
    SellerReputation: { variables: { sellerId: seller }, notes: findSeller },

    // trust and safety: reviews
    SellerReviews: { variables: { sellerId: seller }, notes: findSeller },
    ReplyToReview: {
      variables: { reviewId: REVIEW_ID, body: 'Thank you! We are glad it arrived safely.' },
      notes: [AS_SELLER, FIND_REVIEW, 'Once per review.'],
    },
    ReportReview: {
      variables: { reviewId: REVIEW_ID, reason: 'FAKE', details: 'The same words appear under other shops.' },
      notes: [AS_BUYER, FIND_REVIEW, 'Once per review; the review stays shown until an operator decides.'],
    },
    ModerationQueue: { variables: { first: 20 }, notes: [AS_OPERATOR] },
    ModerateReview: {
      variables: { reviewId: REVIEW_ID, decision: 'APPROVE', note: 'Verified purchase, ordinary wording' },
      notes: [AS_OPERATOR, 'Replace <review id> with review.id of an item from ModerationQueue. REMOVE is final.'],
    },
    DismissListingReports: {
      variables: { listingId: OWN_LISTING_ID, note: 'Genuine item; the reports were mistaken' },
      notes: [AS_OPERATOR, 'Replace <listing id> with listing.id of an item from ModerationQueue.'],
    },
  };
}

function render({ variables, notes = [] }: Example): string {
  return [...notes.map((note) => `// ${note}`), JSON.stringify(variables, null, 2)].join('\n');
}

/** The variables editor's text for an operation: its example, or empty for operations without one (most take no variables). */
export function exampleVariables(operationName: string | null | undefined, ids: DemoIds): string {
  const example = operationName ? examples(ids)[operationName] : undefined;
  return example ? render(example) : '';
}

/** The variables of every example, by operation, for checks against the schema. */
export function allExamples(ids: DemoIds): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(examples(ids)).map(([name, { variables }]) => [name, variables]));
}

/** Whether a variables editor's text is untouched: empty, or some operation's example as it was given. */
export function isExampleText(text: string, ids: DemoIds): boolean {
  const trimmed = text.trim();
  return trimmed === '' || Object.values(examples(ids)).some((example) => render(example) === trimmed);
}
