import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the transfer of an order to its seller is for, fixed before the provider is asked: the released
 * net less the seller's share of the refunds settled since the release. While it is set and transfer_ref
 * is empty the transfer may be on its way, so refunds of the order wait, and a retry asks the same amount
 * with the same idempotency key.
 */
export class TransferAmount1732000000008 implements MigrationInterface {
  name = 'TransferAmount1732000000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payment_orders ADD COLUMN transfer_amount integer
        CONSTRAINT payment_orders_transfer_amount_check CHECK (transfer_amount >= 0 AND transfer_amount <= released_net)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_orders DROP COLUMN transfer_amount`);
  }
}
