import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { badInput, conflict, unauthenticated } from '../../lib/errors';
import { isCurrency } from '../../lib/money';
import { recordEvent, type OutboxRelay } from '../../lib/events/outbox';
import { requiredText } from '../../lib/validation';
import { SellerEntity, UserEntity } from './entities';
import { hashPassword, verifyPassword, type ScryptCost } from './passwords';
import { rolesOf } from './roles';
import type { TokenIssuer } from './tokens';

export interface SignUpInput {
  email: string;
  password: string;
  displayName?: string | null;
}
export interface LogInInput {
  email: string;
  password: string;
}
export interface BecomeSellerInput {
  shopName: string;
  country: string;
  currency: string;
}

/**
 * A valid email address as the HTML standard's `<input type=email>` defines it (a willful violation of
 * RFC 5322 that matches what people type): what a browser form accepts, this accepts, and no more.
 */
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const MIN_PASSWORD = 8;
/** Bounds the work one request can cause in the KDF. */
const MAX_PASSWORD = 256;

/** Who a token says the user is: a buyer, a seller once they have a shop, and the roles granted them (roles.ts). */
export function viewerOf(user: UserEntity, seller: SellerEntity | null, granted: string[] = []): Viewer {
  const roles = [...(seller ? ['buyer', 'seller'] : ['buyer']), ...granted];
  return {
    userId: user.id,
    roles,
    scopes: roles,
    ...(seller ? { seller: { id: seller.id, currency: seller.currency } } : {}),
  };
}

export class AccountsService {
  private dummyHash?: Promise<string>;

  constructor(
    private readonly db: DataSource,
    private readonly tokens: TokenIssuer,
    private readonly cost: ScryptCost,
    private readonly outbox: Pick<OutboxRelay, 'wake'>,
  ) {}

  async signUp(input: SignUpInput): Promise<{ token: string; user: UserEntity }> {
    const email = normaliseEmail(input.email);
    if (input.password.length < MIN_PASSWORD) {
      throw badInput(`password needs at least ${MIN_PASSWORD} characters`, 'password');
    }
    if (input.password.length > MAX_PASSWORD) throw badInput(`password must be at most ${MAX_PASSWORD} characters`, 'password');
    const displayName =
      input.displayName === null || input.displayName === undefined
        ? email.split('@')[0]
        : requiredText(input.displayName, 'displayName', { max: 80 });
    const users = this.db.getRepository(UserEntity);
    if (await users.exists({ where: { email } })) throw conflict('An account with this email already exists');
    const passwordHash = await hashPassword(input.password, this.cost);
    try {
      const user = await users.save(users.create({ email, passwordHash, displayName }));
      return { token: await this.tokens.sign(viewerOf(user, null)), user };
    } catch (error) {
      // two sign-ups with one email at once: the unique index decides
      if (isUniqueViolation(error, 'users_email_key')) throw conflict('An account with this email already exists');
      throw error;
    }
  }

  async logIn(input: LogInInput): Promise<{ token: string; user: UserEntity }> {
    const refused = () => unauthenticated('Wrong email or password');
    const email = input.email.trim().toLowerCase();
    const user = await this.db.getRepository(UserEntity).findOne({ where: { email } });
    if (!user) {
      // hash anyway, so that response time does not tell which emails have accounts
      await verifyPassword(input.password, await this.dummy());
      throw refused();
    }
    if (!(await verifyPassword(input.password, user.passwordHash))) throw refused();
    const seller = await this.db.getRepository(SellerEntity).findOne({ where: { userId: user.id } });
    return { token: await this.tokens.sign(viewerOf(user, seller, await rolesOf(this.db, user.id))), user };
  }

  async becomeSeller(viewer: Viewer, input: BecomeSellerInput): Promise<{ token: string; seller: SellerEntity }> {
    const shopName = requiredText(input.shopName, 'shopName', { min: 2, max: 80 });
    const country = input.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) throw badInput('country must be an ISO 3166-1 alpha-2 code such as US', 'country');
    const currency = input.currency.trim().toUpperCase();
    if (!isCurrency(currency)) throw badInput('currency must be an ISO 4217 code such as USD', 'currency');

    const user = await this.db.getRepository(UserEntity).findOne({ where: { id: viewer.userId } });
    if (!user) throw unauthenticated('Your account no longer exists');
    const sellers = this.db.getRepository(SellerEntity);
    if (await sellers.exists({ where: { userId: user.id } })) throw conflict('You are a seller already');
    try {
      // the event commits with the seller: listings shows the shop name beside their listings from it
      const seller = await this.db.transaction(async (manager) => {
        const saved = await manager.save(sellers.create({ userId: user.id, shopName, country, currency }));
        await recordEvent(manager, 'accounts', 'SellerRegistered', { sellerId: saved.id, shopName, at: saved.createdAt.toISOString() });
        return saved;
      });
      this.outbox.wake();
      return { token: await this.tokens.sign(viewerOf(user, seller, await rolesOf(this.db, user.id))), seller };
    } catch (error) {
      if (isUniqueViolation(error, 'sellers_shop_name_key')) throw conflict('That shop name is taken');
      if (isUniqueViolation(error, 'sellers_user_id_key')) throw conflict('You are a seller already');
      throw error;
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword('not-a-real-password', this.cost);
    return this.dummyHash;
  }
}

function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('email is not a valid address', 'email');
  return email;
}
