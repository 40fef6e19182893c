import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../lib/logger';
import type { RouteHandler } from '../../lib/server/subgraph-server';
import type { PayoutAccounts } from './payout-accounts';
import type { OnboardingLink, OnboardingProvider } from './payout-onboarding';

/** Where the test provider's onboarding page is, on the payments subgraph and (forwarded) on the router. */
export const TEST_ONBOARDING_PATH = '/payouts/onboarding';

/** As Stripe's account links: a few minutes to use, once. */
export const TEST_ONBOARDING_LINK_TTL_MS = 5 * 60_000;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const accountId = () => `acct_test${randomBytes(9).toString('hex')}`;

/**
 * The test provider's onboarding (the embedded default): the link opens a page on the marketplace's
 * own public address that completes onboarding when fetched, so that a developer's seller is ENABLED
 * in one click. Like Stripe's account links, a link works once and for a few minutes; a used or
 * expired one sends the seller to the refresh URL for a new one.
 */
export class TestOnboarding implements OnboardingProvider {
  readonly name = 'test';

  constructor(
    private readonly db: DataSource,
    private readonly accounts: PayoutAccounts,
    private readonly publicUrl: () => string,
    private readonly logger: Logger,
  ) {}

  async createAccount() {
    return { reference: accountId(), state: { status: 'NOT_STARTED' as const, payoutsEnabled: false, requirements: [] } };
  }

  async accountLink(input: { sellerId: string; returnUrl: string; refreshUrl: string }): Promise<OnboardingLink> {
    const token = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + TEST_ONBOARDING_LINK_TTL_MS);
    await this.db.transaction((m) =>
      m.query(`INSERT INTO payout_onboarding_links (token_hash, seller_id, return_url, refresh_url, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
        hashOf(token),
        input.sellerId,
        input.returnUrl,
        input.refreshUrl,
        expiresAt,
      ]),
    );
    const url = new URL(TEST_ONBOARDING_PATH, this.publicUrl());
    url.searchParams.set('token', token);
    return { url: url.toString(), expiresAt };
  }

  /** GET the link: the seller's account becomes ENABLED and the browser goes to the return URL. */
  route(): RouteHandler {
    return async (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return page(res, 405, 'Open this link in a browser.', { allow: 'GET' });
      const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
      const used = await this.db.transaction(async (m) => {
        const rows: { seller_id: string; return_url: string; refresh_url: string; usable: boolean }[] = await m.query(
          `SELECT seller_id, return_url, refresh_url, (used_at IS NULL AND expires_at > now()) AS usable
           FROM payout_onboarding_links WHERE token_hash = $1 FOR UPDATE`,
          [hashOf(token)],
        );
        if (rows.length === 0) return null;
        if (rows[0].usable) await m.query(`UPDATE payout_onboarding_links SET used_at = now() WHERE token_hash = $1`, [hashOf(token)]);
        return rows[0];
      });
      if (!used) return page(res, 404, 'This onboarding link is not known. Ask the marketplace for a new one.');
      if (!used.usable) return redirect(res, used.refresh_url);
      const account = await this.accounts.of(used.seller_id);
      if (account) {
        await this.accounts.apply(this.name, account.accountRef, { status: 'ENABLED', payoutsEnabled: true, requirements: [] }, new Date());
        this.logger.info('a seller completed payout onboarding with the test provider', { sellerId: used.seller_id });
      }
      redirect(res, used.return_url);
    };
  }
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(302, { location, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><title>Payouts</title><p>Continue at <a href="${escapeHtml(location)}">${escapeHtml(location)}</a>.</p>`);
}

function page(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`<!doctype html><title>Payouts</title><p>${escapeHtml(message)}</p>`);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
