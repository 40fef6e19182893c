import { randomUUID } from 'node:crypto';
import { codes } from '../../lib/client/graphql-client';
import { operation } from '../../lib/client/operations';
import { eventually } from '../../lib/testing/eventually';
import { follow, routerSocket } from '../../lib/testing/live';
import { checkOut, newListing, newSeller, payByTestCard, signUp, type TestUser } from '../../lib/testing/marketplace';
import { TestSmtpServer } from '../../lib/testing/smtp';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Journey step 13 (contract v2, notifications.graphql) through the router, on PostgreSQL and on the
 * embedded default: paid orders reach their sellers in the app, live and by email (a real SMTP
 * server), a shipment reaches the buyer with its tracking number, and an order's buyer and seller
 * talk, each message telling the other; nobody else sees any of it.
 */
interface Notice {
  id: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
  order: { id: string; status: string } | null;
}
interface Inbox {
  me: { unreadNotificationCount: number; notifications: { totalCount: number; edges: { node: Notice }[] } };
}

describe.each(STACK_MODES)('notifications on %s', (mode) => {
  let stack: TestStack;
  const smtp = new TestSmtpServer();
  beforeAll(async () => {
    await smtp.start();
    stack = await startTestStack({
      embedded: mode === 'embedded',
      env: {
        ...process.env,
        SMTP_URL: smtp.url,
        EMAIL_RETRY_DELAY_SECONDS: '1',
        ORDER_MESSAGES_PER_MINUTE: '5',
        // every purchase left unpaid for a second is "about to expire" (its reservation lasts 15 minutes)
        PURCHASE_EXPIRY_REMINDER_SECONDS: '899',
        ORDERS_SWEEP_INTERVAL_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp.stop();
  });

  const inboxOf = async (user: TestUser, variables: Record<string, unknown> = {}) => (await user.client.ok<Inbox>('MyNotifications', variables)).me;
  const kindsOf = async (user: TestUser) => (await inboxOf(user)).notifications.edges.map((e) => e.node.kind);

  test('step 13: sellers hear of paid orders in the app, live and by email; the buyer of the shipment; messages go both ways', async () => {
    const [seller1, seller2, buyer, stranger] = await Promise.all([newSeller(stack.client), newSeller(stack.client), signUp(stack.client), signUp(stack.client)]);
    const lamp = await newListing(seller1.client, { title: 'Notified lamp', stock: 10 });
    const atlas = await newListing(seller2.client, { title: 'Notified atlas', stock: 10, category: 'books' });
    const sockets = [seller1, seller2, buyer].map((user) => routerSocket(stack.routerUrl, user.client.token));
    try {
      const [live1, live2, liveBuyer] = sockets.map((socket) => follow<{ notificationReceived: Notice }>(socket, 'NotificationReceived'));
      const purchase = await checkOut(buyer, [lamp, atlas]);
      const order1 = purchase.orders.find((o) => o.seller.id === seller1.sellerId)!.id;
      const order2 = purchase.orders.find((o) => o.seller.id === seller2.sellerId)!.id;
      await new Promise((resolve) => setTimeout(resolve, 300)); // the subscriptions are open
      await payByTestCard(buyer, purchase.paymentId);

      for (const [seller, order, live] of [[seller1, order1, live1], [seller2, order2, live2]] as const) {
        const newOrder = await eventually(async () => {
          const found = (await inboxOf(seller)).notifications.edges.find((e) => e.node.kind === 'NEW_ORDER');
          expect(found).toBeDefined();
          return found!.node;
        });
        expect(newOrder).toMatchObject({ order: { id: order }, readAt: null });
        await eventually(async () => expect(live.events.map((e) => e.notificationReceived)).toContainEqual(expect.objectContaining({ id: newOrder.id, kind: 'NEW_ORDER' })));
        const [mail] = await eventually(async () => {
          const mails = smtp.to(seller.email, newOrder.title);
          expect(mails).toHaveLength(1);
          return mails;
        });
        expect(mail.text).toContain(newOrder.body);
        expect(mail.html).toContain(newOrder.title);
        expect(String(mail.header('list-unsubscribe'))).toMatch(/\/notifications\/unsubscribe\?token=/);
      }
      // each seller hears of their own order only, the buyer of neither
      expect(live1.events.filter((e) => e.notificationReceived.kind === 'NEW_ORDER').map((e) => e.notificationReceived.order?.id)).toEqual([order1]);
      expect(await kindsOf(buyer)).not.toContain('NEW_ORDER');

      // the shipment reaches the buyer with its carrier and tracking number
      await seller1.client.ok('AcceptOrder', { id: order1 });
      await seller1.client.ok('ShipOrderWithCarrier', { id: order1, carrier: 'UPS', trackingNumber: '1Z999AA10123456784' });
      const shipped = await eventually(async () => {
        const found = (await inboxOf(buyer)).notifications.edges.find((e) => e.node.kind === 'ORDER_SHIPPED');
        expect(found).toBeDefined();
        return found!.node;
      });
      expect(shipped.body).toContain('UPS');
      expect(shipped.body).toContain('1Z999AA10123456784');
      expect(shipped.order).toEqual({ id: order1, status: 'SHIPPED' });
      await eventually(async () => expect(liveBuyer.events.map((e) => e.notificationReceived.kind)).toEqual(expect.arrayContaining(['ORDER_ACCEPTED', 'ORDER_SHIPPED'])));
      await eventually(async () => expect(smtp.to(buyer.email, 'shipped')).toHaveLength(1));

      // the order's buyer and seller talk; each message tells the other
      const sent = await buyer.client.ok<{ sendOrderMessage: { id: string; body: string; author: { id: string } } }>('SendOrderMessage', {
        orderId: order1,
        body: '  Could you leave it with the neighbour?  ',
      });
      expect(sent.sendOrderMessage).toMatchObject({ body: 'Could you leave it with the neighbour?', author: { id: buyer.userId } });
      await seller1.client.ok('SendOrderMessage', { orderId: order1, body: 'Of course.' });
      await eventually(async () => expect(await kindsOf(seller1)).toContain('NEW_MESSAGE'));
      await eventually(async () => expect(await kindsOf(buyer)).toContain('NEW_MESSAGE'));
      await eventually(async () => expect(smtp.to(seller1.email, 'New message')).toHaveLength(1));
      type Conversation = { order: { messages: { totalCount: number; edges: { node: { body: string; author: { id: string; displayName: string } } }[] } } };
      for (const party of [buyer, seller1]) {
        const { order } = await party.client.ok<Conversation>('OrderMessages', { orderId: order1 });
        expect(order.messages.totalCount).toBe(2);
        expect(order.messages.edges.map((e) => [e.node.body, e.node.author.id])).toEqual([
          ['Could you leave it with the neighbour?', buyer.userId],
          ['Of course.', seller1.userId],
        ]);
      }
      // nobody else reads or writes
      for (const other of [stranger, seller2]) {
        expect(codes(await other.client.op('SendOrderMessage', { orderId: order1, body: 'Hello?' }))).toEqual(['FORBIDDEN']);
        expect(codes(await other.client.op('OrderMessages', { orderId: order1 }))).toEqual(['FORBIDDEN']);
      }
      expect(codes(await stack.client.op('SendOrderMessage', { orderId: order1, body: 'Hello?' }))).toEqual(['UNAUTHENTICATED']);
      expect(codes(await buyer.client.op('SendOrderMessage', { orderId: order1, body: '   ' }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await buyer.client.op('SendOrderMessage', { orderId: order1, body: 'x'.repeat(2001) }))).toEqual(['BAD_USER_INPUT']);
      expect((await buyer.client.ok<Conversation>('OrderMessages', { orderId: order1 })).order.messages.totalCount).toBe(2);
      // nobody hears anyone else's notifications
      expect(live2.events.map((e) => e.notificationReceived.kind)).toEqual(['NEW_ORDER']);
      expect(stranger.client.token).toBeDefined();
      expect((await inboxOf(stranger)).notifications.edges.map((e) => e.node.kind).filter((k) => k !== 'ACCOUNT_SECURITY')).toEqual([]);
    } finally {
      await Promise.all(sockets.map((socket) => socket.dispose()));
    }
  });

  test('reading: newest first, pages, unread only; marking read ignores ids of others', async () => {
    const seller = await newSeller(stack.client);
    const buyer = await signUp(stack.client);
    const listing = await newListing(seller.client, { title: 'Often bought', stock: 50 });
    const paid: string[] = [];
    for (let i = 0; i < 3; i++) {
      const purchase = await checkOut(buyer, [listing]);
      await payByTestCard(buyer, purchase.paymentId);
      paid.push(purchase.orders[0].id);
      // one order's notification before the next order is paid: the order they were made in is known
      await eventually(async () => expect((await kindsOf(seller)).filter((k) => k === 'NEW_ORDER')).toHaveLength(i + 1));
    }
    const all = await inboxOf(seller, { first: 2 });
    const page1 = all.notifications.edges.map((e) => e.node);
    expect(page1).toHaveLength(2);
    const { pageInfo } = (await seller.client.ok<{ me: { notifications: { pageInfo: { endCursor: string; hasNextPage: boolean } } } }>('MyNotifications', { first: 2 })).me
      .notifications;
    expect(pageInfo.hasNextPage).toBe(true);
    const page2 = (await inboxOf(seller, { first: 2, after: pageInfo.endCursor })).notifications.edges.map((e) => e.node);
    expect(new Set([...page1, ...page2].map((n) => n.id)).size).toBe(page1.length + page2.length);
    // newest first, across pages: the last order paid heads the list
    const listed = [...page1, ...page2];
    expect(listed.map((n) => [n.kind, n.order?.id])).toEqual([...paid].reverse().map((id) => ['NEW_ORDER', id]));
    const times = listed.map((n) => Date.parse(n.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(codes(await seller.client.op('MyNotifications', { after: 'not-a-cursor' }))).toEqual(['BAD_USER_INPUT']);

    const buyersOwn = (await inboxOf(buyer)).notifications.edges.map((e) => e.node.id);
    const unread = all.unreadNotificationCount;
    const { markNotificationsRead } = await seller.client.ok<{ markNotificationsRead: number }>('MarkNotificationsRead', { ids: [page1[0].id, ...buyersOwn, 'nope'] });
    expect(markNotificationsRead).toBe(unread - 1);
    expect((await inboxOf(buyer)).notifications.edges.every((e) => e.node.readAt === null)).toBe(true);
    expect((await inboxOf(seller, { unreadOnly: true })).notifications.totalCount).toBe(unread - 1);
    expect((await seller.client.ok<{ markNotificationsRead: number }>('MarkNotificationsRead', {})).markNotificationsRead).toBe(0);
    expect((await inboxOf(seller)).unreadNotificationCount).toBe(0);
    expect(codes(await stack.client.op('MarkNotificationsRead', {}))).toEqual(['UNAUTHENTICATED']);
    expect((await stack.client.ok<{ me: null }>('MyNotifications')).me).toBeNull();
  });

  test('preferences: per kind in the app and by email; mandatory kinds keep their email; one-click unsubscribe', async () => {
    const seller = await newSeller(stack.client);
    const buyer = await signUp(stack.client);
    type Prefs = { me: { notificationPreferences: { kind: string; inApp: boolean; email: boolean; mandatory: boolean }[] } };
    const prefs = (await seller.client.ok<Prefs>('NotificationPreferences')).me.notificationPreferences;
    expect(prefs.find((p) => p.kind === 'NEW_ORDER')).toEqual({ kind: 'NEW_ORDER', inApp: true, email: true, mandatory: false });
    expect(prefs.find((p) => p.kind === 'FUNDS_RELEASED')).toEqual({ kind: 'FUNDS_RELEASED', inApp: true, email: true, mandatory: true });
    const refused = await seller.client.op('SetNotificationPreference', { kind: 'TRANSFER_SENT', inApp: true, email: false });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect((await seller.client.ok<Prefs>('NotificationPreferences')).me.notificationPreferences.find((p) => p.kind === 'TRANSFER_SENT')!.email).toBe(true);

    // NEW_ORDER in the app only, then by one-click unsubscribe from a LOW_STOCK email, no more LOW_STOCK email
    await seller.client.ok('SetNotificationPreference', { kind: 'NEW_ORDER', inApp: true, email: false });
    const listing = await newListing(seller.client, { title: 'Nearly gone', stock: 4 });
    await payByTestCard(buyer, (await checkOut(buyer, [listing])).paymentId);
    await eventually(async () => expect(await kindsOf(seller)).toEqual(expect.arrayContaining(['NEW_ORDER', 'LOW_STOCK'])));
    const [lowStock] = await eventually(async () => {
      const mails = smtp.to(seller.email, 'Low stock');
      expect(mails).toHaveLength(1);
      return mails;
    });
    expect(lowStock.text).toContain('Only 3 left');
    expect(smtp.to(seller.email, 'New order')).toEqual([]);
    const link = /<([^>]+)>/.exec(String(lowStock.header('list-unsubscribe')))![1];
    expect(String(lowStock.header('list-unsubscribe-post'))).toBe('List-Unsubscribe=One-Click');
    // the link works through the router; a GET changes nothing, the one-click POST unsubscribes
    expect(new URL(link).origin).toBe(new URL(stack.routerUrl).origin);
    expect((await fetch(link)).status).toBe(200);
    expect((await seller.client.ok<Prefs>('NotificationPreferences')).me.notificationPreferences.find((p) => p.kind === 'LOW_STOCK')!.email).toBe(true);
    const post = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(post.status).toBe(200);
    expect((await seller.client.ok<Prefs>('NotificationPreferences')).me.notificationPreferences.find((p) => p.kind === 'LOW_STOCK')).toEqual({
      kind: 'LOW_STOCK',
      inApp: true,
      email: false,
      mandatory: false,
    });
    const forged = link.replace(/token=[^&]+/, 'token=Zm9vIExPV19TVE9DSw.bad');
    expect((await fetch(forged, { method: 'POST' })).status).toBe(404);

    // with the app off too, nothing at all
    await seller.client.ok('SetNotificationPreference', { kind: 'NEW_ORDER', inApp: false, email: false });
    const before = (await kindsOf(seller)).filter((k) => k === 'NEW_ORDER').length;
    const last = await checkOut(buyer, [listing]);
    await payByTestCard(buyer, last.paymentId);
    await eventually(async () => expect((await buyer.client.ok<{ order: { status: string } }>('Order', { id: last.orders[0].id })).order.status).toBe('PAID'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await kindsOf(seller)).filter((k) => k === 'NEW_ORDER')).toHaveLength(before);
  });

  test('the rest of an order’s life: funds released, a review, a transfer, a cancellation with its refund; a reminder before an unpaid purchase expires', async () => {
    const seller = await newSeller(stack.client);
    const buyer = await signUp(stack.client);
    const listing = await newListing(seller.client, { title: 'Lifecycle kettle', stock: 20 });
    // the seller can be paid: the test provider's onboarding link enables them when opened
    const { startPayoutOnboarding } = await seller.client.ok<{ startPayoutOnboarding: { url: string } }>('StartPayoutOnboarding', {
      returnUrl: 'http://localhost:3000/done',
      refreshUrl: 'http://localhost:3000/again',
    });
    expect((await fetch(startPayoutOnboarding.url, { redirect: 'manual' })).status).toBe(302);

    const kept = await checkOut(buyer, [listing]);
    await payByTestCard(buyer, kept.paymentId);
    const orderId = kept.orders[0].id;
    await eventually(async () => expect(await kindsOf(seller)).toContain('NEW_ORDER'));
    await seller.client.ok('AcceptOrder', { id: orderId });
    await seller.client.ok('ShipOrder', { id: orderId });
    await buyer.client.ok('ConfirmDelivery', { id: orderId });
    await eventually(async () => expect(await kindsOf(seller)).toEqual(expect.arrayContaining(['ORDER_DELIVERED', 'FUNDS_RELEASED', 'TRANSFER_SENT'])));
    await buyer.client.ok('CreateReview', { input: { orderId, rating: 4, body: 'Boils fast' } });
    await eventually(async () => expect(await kindsOf(seller)).toContain('REVIEW_RECEIVED'));
    // money kinds go by email whatever the preferences say
    await eventually(async () => expect(smtp.to(seller.email, 'released')).toHaveLength(1));

    const cancelled = await checkOut(buyer, [listing]);
    await payByTestCard(buyer, cancelled.paymentId);
    await eventually(async () => expect((await kindsOf(seller)).filter((k) => k === 'NEW_ORDER')).toHaveLength(2));
    await seller.client.ok('CancelOrder', { id: cancelled.orders[0].id, reason: 'Broken in the warehouse' });
    const told = await eventually(async () => {
      const found = (await inboxOf(buyer)).notifications.edges.map((e) => e.node).filter((n) => ['ORDER_CANCELLED', 'REFUND_ISSUED'].includes(n.kind));
      expect(found.map((n) => n.kind).sort()).toEqual(['ORDER_CANCELLED', 'REFUND_ISSUED']);
      return found;
    });
    expect(told.find((n) => n.kind === 'ORDER_CANCELLED')!.body).toContain('Broken in the warehouse');
    // the seller cancelled: the seller is not told of their own move
    expect(await kindsOf(seller)).not.toContain('ORDER_CANCELLED');

    // an unpaid purchase: its buyer is reminded once before it expires
    // (the earlier purchases may have been reminded too, if the sweep ran before they were paid on a slow machine)
    const unpaid = await checkOut(buyer, [listing]);
    const remindersOfUnpaid = async () =>
      (await inboxOf(buyer)).notifications.edges.map((e) => e.node).filter((n) => n.kind === 'PURCHASE_EXPIRING' && n.order?.id === unpaid.orders[0].id);
    const reminder = await eventually(async () => {
      const found = await remindersOfUnpaid();
      expect(found).toHaveLength(1);
      return found[0];
    });
    expect(reminder.order).toEqual({ id: unpaid.orders[0].id, status: 'PENDING_PAYMENT' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await remindersOfUnpaid()).toHaveLength(1);
  });

  test('LOW_STOCK at the threshold the seller set on the listing, and not above it', async () => {
    const seller = await newSeller(stack.client);
    const buyer = await signUp(stack.client);
    const listing = await newListing(seller.client, { title: 'Threshold lamp', stock: 10, lowStockThreshold: 7 });
    const buy = (quantity: number) =>
      buyer.client.ok('Checkout', { input: { items: [{ listingId: listing, quantity }], idempotencyKey: randomUUID() } });
    // 8 left: above the listing's threshold (and above the default of 3 by far), then 7: at it
    await buy(2);
    await buy(1);
    const lowStock = async () => (await inboxOf(seller)).notifications.edges.map((e) => e.node).filter((n) => n.kind === 'LOW_STOCK');
    await eventually(async () => expect((await lowStock()).map((n) => n.body)).toEqual(['Only 7 left of "Threshold lamp".']));
    // told once, at the crossing: no notice for 8, none again for the sales below
    await buy(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await lowStock()).toHaveLength(1);
  });

  test('the buyer cancels a paid order: the seller is told, the buyer is not told of their own move', async () => {
    const seller = await newSeller(stack.client);
    const buyer = await signUp(stack.client);
    const listing = await newListing(seller.client, { title: 'Second thoughts chair', stock: 5 });
    const purchase = await checkOut(buyer, [listing]);
    const orderId = purchase.orders[0].id;
    await payByTestCard(buyer, purchase.paymentId);
    await eventually(async () => expect(await kindsOf(seller)).toContain('NEW_ORDER'));
    await buyer.client.ok('CancelOrder', { id: orderId, reason: 'Found one nearer home' });
    const cancelled = await eventually(async () => {
      const found = (await inboxOf(seller)).notifications.edges.map((e) => e.node).filter((n) => n.kind === 'ORDER_CANCELLED');
      expect(found).toHaveLength(1);
      return found[0];
    });
    expect(cancelled.order).toEqual({ id: orderId, status: 'CANCELLED' });
    expect(cancelled.body).toContain('Found one nearer home');
    // the buyer hears of the refund, not of the cancellation they made
    await eventually(async () => expect(await kindsOf(buyer)).toContain('REFUND_ISSUED'));
    expect(await kindsOf(buyer)).not.toContain('ORDER_CANCELLED');
  });

  test('messages are rate-limited per author', async () => {
    const seller = await newSeller(stack.client);
    const buyer = await signUp(stack.client);
    const listing = await newListing(seller.client, { title: 'Chatty lamp', stock: 5 });
    const purchase = await checkOut(buyer, [listing]);
    await payByTestCard(buyer, purchase.paymentId);
    const orderId = purchase.orders[0].id;
    await eventually(async () => expect(codes(await buyer.client.op('OrderMessages', { orderId }))).toEqual([]));
    for (let i = 0; i < 5; i++) await buyer.client.ok('SendOrderMessage', { orderId, body: `Message ${i}` });
    const limited = await buyer.client.op('SendOrderMessage', { orderId, body: 'One too many' });
    expect(codes(limited)).toEqual(['RATE_LIMITED']);
    // nothing was written; the other party is not limited by the buyer's count
    expect((await buyer.client.ok<{ order: { messages: { totalCount: number } } }>('OrderMessages', { orderId })).order.messages.totalCount).toBe(5);
    await seller.client.ok('SendOrderMessage', { orderId, body: 'Calm down' });
  });

  test('live over the multipart HTTP protocol too (Apollo Client), to the recipient only', async () => {
    const { ApolloClient, HttpLink, InMemoryCache, gql } = await import('@apollo/client');
    const seller = await newSeller(stack.client);
    const buyer = await signUp(stack.client);
    const listing = await newListing(seller.client, { title: 'Multipart vase', stock: 5 });
    const purchase = await checkOut(buyer, [listing]);
    await payByTestCard(buyer, purchase.paymentId);
    const orderId = purchase.orders[0].id;
    await eventually(async () => expect(codes(await buyer.client.op('OrderMessages', { orderId }))).toEqual([]));
    const heard: Record<'seller' | 'buyer', string[]> = { seller: [], buyer: [] };
    const stops = (['seller', 'buyer'] as const).map((who) => {
      const user = who === 'seller' ? seller : buyer;
      const client = new ApolloClient({ link: new HttpLink({ uri: stack.routerUrl, headers: { authorization: `Bearer ${user.client.token}` } }), cache: new InMemoryCache() });
      const subscription = client
        .subscribe<{ notificationReceived: Notice }>({ query: gql(operation('NotificationReceived')) })
        .subscribe({ next: ({ data }) => data && heard[who].push(data.notificationReceived.kind) });
      return () => subscription.unsubscribe();
    });
    try {
      await eventually(async () => expect(stack.router.activeSubscriptions()).toBeGreaterThanOrEqual(2));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await buyer.client.ok('SendOrderMessage', { orderId, body: 'Hello over multipart' });
      // the seller's NEW_ORDER may still be on its way: only the message's notice is asserted
      await eventually(async () => expect(heard.seller.filter((kind) => kind === 'NEW_MESSAGE')).toEqual(['NEW_MESSAGE']));
      expect(heard.buyer.filter((kind) => kind === 'NEW_MESSAGE')).toEqual([]);
    } finally {
      for (const stop of stops) stop();
    }
  });
});
