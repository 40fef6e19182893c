import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What notifications keeps: its own copies of whom to tell (users' addresses, shops' owners, orders'
 * parties, all from other subgraphs' events), the notifications, each user's preferences, the emails
 * to send (their state is the dead-letter list), and the messages of orders.
 */
export class Notifications1732000000200 implements MigrationInterface {
  name = 'Notifications1732000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE recipients (
        user_id uuid PRIMARY KEY,
        email text NOT NULL,
        display_name text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE TABLE shops (seller_id uuid PRIMARY KEY, user_id uuid NOT NULL)`);
    await q.query(`CREATE INDEX shops_of_user ON shops (user_id)`);
    await q.query(`
      CREATE TABLE order_parties (
        order_id uuid PRIMARY KEY,
        purchase_id uuid NOT NULL,
        buyer_id uuid NOT NULL,
        seller_id uuid NOT NULL
      )`);
    await q.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        order_id uuid,
        -- shown in the app (false: email only, as the user's preferences said)
        in_app boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz
      )`);
    await q.query(`CREATE INDEX notifications_of_user ON notifications (user_id, created_at DESC, id DESC) WHERE in_app`);
    await q.query(`CREATE INDEX notifications_unread ON notifications (user_id) WHERE in_app AND read_at IS NULL`);
    await q.query(`
      CREATE TABLE notification_preferences (
        user_id uuid NOT NULL,
        kind text NOT NULL,
        in_app boolean NOT NULL,
        email boolean NOT NULL,
        PRIMARY KEY (user_id, kind)
      )`);
    await q.query(`
      CREATE TABLE emails (
        id uuid PRIMARY KEY,
        notification_id uuid UNIQUE,
        user_id uuid NOT NULL,
        to_address text NOT NULL,
        subject text NOT NULL,
        text_body text NOT NULL,
        html_body text NOT NULL,
        unsubscribe_url text,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'DEAD')),
        attempts integer NOT NULL DEFAULT 0,
        -- a worker that claimed it and died: another may take it after this
        claimed_until timestamptz,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      )`);
    await q.query(`CREATE INDEX emails_dead ON emails (created_at) WHERE status = 'DEAD'`);
    await q.query(`CREATE INDEX emails_of_user ON emails (user_id)`);
    await q.query(`
      CREATE TABLE order_messages (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL,
        author_id uuid NOT NULL,
        body text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX order_messages_of_order ON order_messages (order_id, created_at, id)`);
    await q.query(`CREATE INDEX order_messages_of_author ON order_messages (author_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_messages, emails, notification_preferences, notifications, order_parties, shops, recipients`);
  }
}
