import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { scopesFor } from '../../lib/auth/operators';
import { SellerEntity, type UserEntity } from './entities';
import { rolesOf } from './roles';
import type { Sessions } from './sessions';
import type { TokenIssuer } from './tokens';

type Queryable = Pick<DataSource | EntityManager, 'query' | 'getRepository'>;

/** What signing in gives: a short-lived access token and the refresh token that renews it. */
export interface SignedIn {
  token: string;
  refreshToken: string;
}

/** Who a token says the user is: a buyer, a seller once they have a shop, and the roles granted them (roles.ts). */
export function viewerOf(
  user: Pick<UserEntity, 'id'>,
  seller: SellerEntity | null,
  granted: string[] = [],
  session: { sessionId?: string; twoFactor?: boolean } = {},
): Viewer {
  const roles = [...(seller ? ['buyer', 'seller'] : ['buyer']), ...granted];
  return {
    userId: user.id,
    roles,
    scopes: scopesFor(roles, session.twoFactor ?? false),
    ...(seller ? { seller: { id: seller.id, currency: seller.currency } } : {}),
    ...(session.sessionId ? { sessionId: session.sessionId } : {}),
    ...(session.twoFactor ? { twoFactor: true } : {}),
  };
}

/** Issues the tokens of a session: the access token always says what the user is now (shop, roles). */
export class Credentials {
  constructor(
    private readonly tokens: TokenIssuer,
    private readonly sessions: Sessions,
  ) {}

  /** Opens a session in the caller's transaction. */
  async signIn(db: Queryable, user: Pick<UserEntity, 'id'>, twoFactor: boolean): Promise<SignedIn> {
    const { sessionId, refreshToken } = await this.sessions.open(db, user.id, twoFactor);
    return { token: await this.accessToken(db, user, { sessionId, twoFactor }), refreshToken };
  }

  async accessToken(db: Queryable, user: Pick<UserEntity, 'id'>, session: { sessionId?: string; twoFactor?: boolean }): Promise<string> {
    const seller = await db.getRepository(SellerEntity).findOne({ where: { userId: user.id } });
    return this.tokens.sign(viewerOf(user, seller, await rolesOf(db, user.id), session));
  }
}
