import type { Viewer } from '../../lib/auth/viewer';
import { forbidden, ServiceUnavailable } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { webUrl } from '../../lib/validation';
import type { PayoutAccounts, PayoutAccountState } from './payout-accounts';

/**
 * What onboarding needs from the payment provider: Stripe Connect Express (stripe-onboarding.ts), or
 * the test provider's own page (test-onboarding.ts).
 */
export interface OnboardingProvider {
  /** test or stripe, as kept with the account. */
  readonly name: string;
  /** The seller's connected account; the idempotency key is the seller's, so that it is made once. */
  createAccount(input: { sellerId: string; idempotencyKey: string }): Promise<{ reference: string; state: PayoutAccountState }>;
  /** A one-time link to the provider's hosted onboarding of the account. */
  accountLink(input: { sellerId: string; accountReference: string; returnUrl: string; refreshUrl: string }): Promise<OnboardingLink>;
}

export interface OnboardingLink {
  url: string;
  expiresAt: Date;
}

/**
 * startPayoutOnboarding: the seller's connected account, made on their first call and reused after,
 * and a fresh link to finish setting it up. What the provider then learns of the seller comes back
 * on its own (webhooks; the test page) into PayoutAccounts.
 */
export class PayoutOnboarding {
  constructor(
    private readonly accounts: PayoutAccounts,
    private readonly provider: OnboardingProvider,
    private readonly logger: Logger,
  ) {}

  async start(viewer: Viewer, returnUrl: string, refreshUrl: string): Promise<OnboardingLink> {
    const sellerId = viewer.seller?.id;
    if (!sellerId) throw forbidden('Only sellers set up payouts');
    const urls = { returnUrl: webUrl(returnUrl, 'returnUrl'), refreshUrl: webUrl(refreshUrl, 'refreshUrl') };
    try {
      let account = await this.accounts.of(sellerId);
      if (!account) {
        const created = await this.provider.createAccount({ sellerId, idempotencyKey: `payout-account:${sellerId}` });
        account = await this.accounts.record(sellerId, this.provider.name, created.reference, created.state);
      }
      return await this.provider.accountLink({ sellerId, accountReference: account.accountRef, ...urls });
    } catch (error) {
      // the provider is down or refuses our platform's request (its settings): nothing the seller can fix but retry later
      this.logger.error('payout onboarding could not be started at the payment provider', { sellerId, error });
      throw new ServiceUnavailable('payment provider');
    }
  }
}
