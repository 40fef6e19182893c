import type Stripe from 'stripe';
import type { PayoutAccountState } from './payout-accounts';
import type { OnboardingLink, OnboardingProvider } from './payout-onboarding';

/**
 * Stripe Connect Express: one connected account per seller (the platform's separate charges and
 * transfers pay into it), onboarded on Stripe's hosted pages through account links. Stripe reports
 * what the seller did with account.updated webhooks (stripe-webhooks.ts).
 */
export class StripeOnboarding implements OnboardingProvider {
  readonly name = 'stripe';

  constructor(private readonly stripe: Stripe) {}

  async createAccount(input: { sellerId: string; idempotencyKey: string }) {
    const account = await this.stripe.accounts.create(
      {
        type: 'express',
        // transfers only: buyers pay the platform, which transfers each seller's share (DESIGN.md 7)
        capabilities: { transfers: { requested: true } },
        metadata: { seller_id: input.sellerId },
      },
      { idempotencyKey: input.idempotencyKey },
    );
    return { reference: account.id, state: payoutStateOf(account) };
  }

  async accountLink(input: { accountReference: string; returnUrl: string; refreshUrl: string }): Promise<OnboardingLink> {
    // account links are single-use and short-lived: a fresh one per call, so no idempotency key
    const link = await this.stripe.accountLinks.create({
      account: input.accountReference,
      type: 'account_onboarding',
      return_url: input.returnUrl,
      refresh_url: input.refreshUrl,
    });
    return { url: link.url, expiresAt: new Date(link.expires_at * 1000) };
  }
}

/**
 * Where a Stripe account stands, as the contract names it: ENABLED only when Stripe pays out to it;
 * NOT_STARTED until the seller submitted their details; then RESTRICTED while Stripe needs more (its
 * requirements, due now or past due, or why it disabled the account), else PENDING while it verifies.
 */
export function payoutStateOf(account: Stripe.Account): PayoutAccountState {
  const due = [...new Set([...(account.requirements?.past_due ?? []), ...(account.requirements?.currently_due ?? [])])].sort();
  const payoutsEnabled = account.payouts_enabled === true;
  if (payoutsEnabled) return { status: 'ENABLED', payoutsEnabled, requirements: due };
  if (!account.details_submitted) return { status: 'NOT_STARTED', payoutsEnabled, requirements: due };
  const disabledReason = account.requirements?.disabled_reason;
  if (due.length > 0 || disabledReason) return { status: 'RESTRICTED', payoutsEnabled, requirements: due.length ? due : [disabledReason!] };
  return { status: 'PENDING', payoutsEnabled, requirements: [] };
}
