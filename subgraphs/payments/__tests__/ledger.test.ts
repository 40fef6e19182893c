import { chargeEntries, isBalanced, refundEntries, refundFeeShare, releaseEntries, sellerBalance, transferEntries, accounts, type Entry } from '../ledger';

/** A plain check for the random loops: jest's expect is slow when called a hundred thousand times. */
function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

const sum = (entries: Entry[], account: string) => entries.filter((e) => e.account === account).reduce((s, e) => s + e.amount, 0);

describe('ledger transactions balance', () => {
  const buyerId = 'b';
  const orders = [
    { orderId: 'o1', sellerId: 's1', fee: 500, net: 4500 },
    { orderId: 'o2', sellerId: 's2', fee: 0, net: 1800 },
  ];

  test('a charge moves the total from the buyer into escrow and pending fees, and sums to zero', () => {
    const entries = chargeEntries({ buyerId, currency: 'USD', amount: 6800 }, orders);
    expect(isBalanced(entries)).toBe(true);
    expect(sum(entries, accounts.buyer(buyerId))).toBe(-6800);
    expect(sum(entries, accounts.escrow('s1'))).toBe(4500);
    expect(sum(entries, accounts.escrow('s2'))).toBe(1800);
    expect(sum(entries, accounts.feesPending)).toBe(500);
    // a zero fee writes no entry
    expect(entries.every((e) => e.amount !== 0)).toBe(true);
  });

  test('a charge whose orders do not add up to the total is refused by isBalanced', () => {
    expect(isBalanced(chargeEntries({ buyerId, currency: 'USD', amount: 6801 }, orders))).toBe(false);
  });

  test('a release moves escrow to available and pending fees to revenue', () => {
    const entries = releaseEntries({ orderId: 'o1', sellerId: 's1', currency: 'USD' }, 4500, 500);
    expect(isBalanced(entries)).toBe(true);
    expect(sum(entries, accounts.escrow('s1'))).toBe(-4500);
    expect(sum(entries, accounts.seller('s1'))).toBe(4500);
    expect(sum(entries, accounts.platformRevenue)).toBe(500);
  });

  test('a refund pays the buyer back from escrow before release, from available money after', () => {
    const order = { orderId: 'o1', sellerId: 's1', buyerId, currency: 'USD' };
    const before = refundEntries(order, { amount: 1000, feeShare: 100, fromEscrow: true, reversedTransferId: null });
    expect(isBalanced(before)).toBe(true);
    expect(sum(before, accounts.escrow('s1'))).toBe(-900);
    expect(sum(before, accounts.feesPending)).toBe(-100);
    expect(sum(before, accounts.buyer(buyerId))).toBe(1000);
    const after = refundEntries(order, { amount: 1000, feeShare: 100, fromEscrow: false, reversedTransferId: null });
    expect(isBalanced(after)).toBe(true);
    expect(sum(after, accounts.seller('s1'))).toBe(-900);
    expect(sum(after, accounts.platformRevenue)).toBe(-100);
    // after the seller was paid, their share comes back out of what was paid out (a reversal)
    const reversed = refundEntries(order, { amount: 1000, feeShare: 100, fromEscrow: false, reversedTransferId: 't1' });
    expect(isBalanced(reversed)).toBe(true);
    expect(sum(reversed, accounts.paidOut('s1'))).toBe(-900);
    expect(sum(reversed, accounts.seller('s1'))).toBe(0);
    expect(sum(reversed, accounts.platformRevenue)).toBe(-100);
  });

  test('a transfer moves each order’s share from available to paid out; a returned one moves it back', () => {
    const shares = [
      { orderId: 'o1', amount: 900 },
      { orderId: 'o2', amount: 450 },
    ];
    const sent = transferEntries('s1', 'USD', shares);
    expect(isBalanced(sent)).toBe(true);
    expect(sum(sent, accounts.seller('s1'))).toBe(-1350);
    expect(sum(sent, accounts.paidOut('s1'))).toBe(1350);
    expect(sent.filter((e) => e.orderId === 'o2').map((e) => e.amount)).toEqual([-450, 450]);
    const returned = transferEntries('s1', 'USD', shares, true);
    expect(isBalanced([...sent, ...returned])).toBe(true);
    expect(sum([...sent, ...returned], accounts.seller('s1'))).toBe(0);
  });

  test('currencies balance separately', () => {
    expect(
      isBalanced([
        { account: 'a', currency: 'USD', amount: 5 },
        { account: 'b', currency: 'EUR', amount: -5 },
      ]),
    ).toBe(false);
  });
});

describe('refund split between seller and platform', () => {
  test('one refund: fee share = round half up(refund × fee / total)', () => {
    const order = { amount: 1000, fee: 100 };
    expect(refundFeeShare(order, { refunded: 0, feeRefunded: 0 }, 300)).toBe(30);
    expect(refundFeeShare(order, { refunded: 0, feeRefunded: 0 }, 5)).toBe(1); // 0.5
    expect(refundFeeShare(order, { refunded: 0, feeRefunded: 0 }, 4)).toBe(0); // 0.4
    expect(refundFeeShare(order, { refunded: 0, feeRefunded: 0 }, 1000)).toBe(100);
  });

  test('partial refunds are split cumulatively: together they return exactly the fee and the net', () => {
    const order = { amount: 100, fee: 10 };
    let refunded = 0;
    let feeRefunded = 0;
    const shares: number[] = [];
    for (const refund of [15, 15, 15, 15, 15, 25]) {
      const share = refundFeeShare(order, { refunded, feeRefunded }, refund);
      shares.push(share);
      refunded += refund;
      feeRefunded += share;
    }
    // 1.5 → 2, 3 → 3, 4.5 → 5, 6, 7.5 → 8, 10: per refund 2, 1, 2, 1, 2, 2
    expect(shares).toEqual([2, 1, 2, 1, 2, 2]);
    expect(feeRefunded).toBe(10);
  });

  test('a fee of zero is never refunded; a 100 % fee is refunded whole', () => {
    expect(refundFeeShare({ amount: 999, fee: 0 }, { refunded: 0, feeRefunded: 0 }, 999)).toBe(0);
    expect(refundFeeShare({ amount: 999, fee: 999 }, { refunded: 0, feeRefunded: 0 }, 333)).toBe(333);
  });

  test('more than is left, or nothing, is refused', () => {
    expect(() => refundFeeShare({ amount: 100, fee: 10 }, { refunded: 90, feeRefunded: 9 }, 11)).toThrow(RangeError);
    expect(() => refundFeeShare({ amount: 100, fee: 10 }, { refunded: 0, feeRefunded: 0 }, 0)).toThrow(RangeError);
  });

  test('random sequences never refund more fee or net than the order had, and the last refund squares it', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const amount = 1 + random(10_000);
      // shipping, on which no fee was taken, is part of the amount half the time
      const shipping = random(2) ? random(amount) : 0;
      const fee = random(amount - shipping + 1);
      let refunded = 0;
      let feeRefunded = 0;
      while (refunded < amount) {
        const refund = Math.min(amount - refunded, 1 + random(Math.max(1, Math.floor(amount / 3))));
        const share = refundFeeShare({ amount, fee, shipping }, { refunded, feeRefunded }, refund);
        assert(share >= 0, `negative share ${share}`);
        assert(share <= refund, `share ${share} above refund ${refund}`);
        refunded += refund;
        feeRefunded += share;
        assert(feeRefunded <= fee, 'more fee than the order had');
        assert(refunded - feeRefunded <= amount - fee, 'more net than the order had');
      }
      assert(feeRefunded === fee, `fee ${fee}, refunded ${feeRefunded}`);
    }
  });
});

test('the fee comes back with the items: a refund of the items alone returns the whole fee, shipping none', () => {
  const order = { amount: 1500, fee: 100, shipping: 500 };
  expect(refundFeeShare(order, { refunded: 0, feeRefunded: 0 }, 500)).toBe(50); // half the items
  expect(refundFeeShare(order, { refunded: 0, feeRefunded: 0 }, 1000)).toBe(100);
  expect(refundFeeShare(order, { refunded: 1000, feeRefunded: 100 }, 500)).toBe(0);
  expect(refundFeeShare({ amount: 500, fee: 0, shipping: 500 }, { refunded: 0, feeRefunded: 0 }, 500)).toBe(0);
});

test('refunds that fail at the provider (dropped from the sums) never unbalance the later ones', () => {
  let seed = 11;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 2000; i++) {
    const amount = 1 + random(1000);
    const fee = random(amount + 1);
    // what the order holds: settled and pending refunds alike count, failed ones drop out
    const held: { amount: number; share: number }[] = [];
    const refunded = () => held.reduce((s, r) => s + r.amount, 0);
    const feeRefunded = () => held.reduce((s, r) => s + r.share, 0);
    while (refunded() < amount) {
      const refund = Math.min(amount - refunded(), 1 + random(Math.max(1, Math.floor(amount / 4))));
      const share = refundFeeShare({ amount, fee }, { refunded: refunded(), feeRefunded: feeRefunded() }, refund);
      assert(share >= 0, `negative share ${share}`);
      assert(share <= refund, `share ${share} above refund ${refund}`);
      held.push({ amount: refund, share });
      if (random(3) === 0) held.splice(random(held.length), 1); // one of them failed
      assert(feeRefunded() <= fee, 'more fee than the order had');
      assert(refunded() - feeRefunded() <= amount - fee, 'more net than the order had');
    }
    assert(feeRefunded() === fee, `fee ${fee}, refunded ${feeRefunded()}`);
  }
});

describe('seller balance', () => {
  test('pending is escrow, available is released money, paid out is transferred, all in the seller currency; no entries: zero', () => {
    const balances = new Map([
      [accounts.escrow('s1'), new Map([['USD', 900]])],
      [accounts.seller('s1'), new Map([['USD', 4500]])],
      [accounts.paidOut('s1'), new Map([['USD', 1200]])],
    ]);
    expect(sellerBalance(balances, 's1', 'USD')).toEqual({
      pending: { amount: 900, currency: 'USD' },
      available: { amount: 4500, currency: 'USD' },
      paidOut: { amount: 1200, currency: 'USD' },
    });
    expect(sellerBalance(balances, 's2', 'EUR')).toEqual({
      pending: { amount: 0, currency: 'EUR' },
      available: { amount: 0, currency: 'EUR' },
      paidOut: { amount: 0, currency: 'EUR' },
    });
  });
});
