import type { EntityManager } from 'typeorm';
import type { InternalClient } from '../../lib/server/internal-client';

type Queryable = Pick<EntityManager, 'query'>;

const CONTACT = `query NotificationContact($userId: ID!) { contact(userId: $userId) { email displayName } }`;
const SHOP_OWNER = `query NotificationShopOwner($id: ID!) { seller(id: $id) { user { id } } }`;

export interface Contact {
  email: string;
  displayName: string;
}

/**
 * Whom to write to. Accounts owns addresses and shops; notifications keeps copies from accounts'
 * events (UserRegistered, SellerRegistered, AccountDeleted) and asks accounts only for someone whose
 * event it never saw (an account older than this subgraph), remembering the answer.
 */
export class Recipients {
  constructor(private readonly internal: InternalClient) {}

  async remember(db: Queryable, userId: string, contact: Contact): Promise<void> {
    await db.query(
      `INSERT INTO recipients (user_id, email, display_name) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, display_name = excluded.display_name, updated_at = now()`,
      [userId, contact.email, contact.displayName],
    );
  }

  async rememberShop(db: Queryable, sellerId: string, userId: string): Promise<void> {
    await db.query(`INSERT INTO shops (seller_id, user_id) VALUES ($1, $2) ON CONFLICT (seller_id) DO NOTHING`, [sellerId, userId]);
  }

  /** Forgets a deleted account: its address, its shop. */
  async forget(db: Queryable, userId: string): Promise<void> {
    await db.query(`DELETE FROM recipients WHERE user_id = $1`, [userId]);
    await db.query(`DELETE FROM shops WHERE user_id = $1`, [userId]);
  }

  /** A user's address and name; null for an account that no longer exists. */
  async contactOf(db: Queryable, userId: string): Promise<Contact | null> {
    const [known]: { email: string; display_name: string }[] = await db.query(`SELECT email, display_name FROM recipients WHERE user_id = $1`, [userId]);
    if (known) return { email: known.email, displayName: known.display_name };
    const { contact } = await this.internal.call<{ contact: Contact | null }>('accounts', CONTACT, { userId });
    if (contact) await this.remember(db, userId, contact);
    return contact;
  }

  /** The user who owns a shop: who hears of its orders. */
  async ownerOf(db: Queryable, sellerId: string): Promise<string | null> {
    const [known]: { user_id: string }[] = await db.query(`SELECT user_id FROM shops WHERE seller_id = $1`, [sellerId]);
    if (known) return known.user_id;
    const { seller } = await this.internal.call<{ seller: { user: { id: string } } | null }>('accounts', SHOP_OWNER, { id: sellerId });
    if (seller) await this.rememberShop(db, sellerId, seller.user.id);
    return seller?.user.id ?? null;
  }
}
