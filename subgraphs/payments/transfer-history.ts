import type { DataSource } from 'typeorm';
import { newestFirst } from '../../lib/db/newest-first';
import type { Connection } from '../../lib/pagination';
import { TransferEntity } from './entities';

/** A seller's transfers, newest first (transfers_seller_idx); the orders each pays come by loader. */
export function transfersOf(db: DataSource, sellerId: string, first: number | null | undefined, after: string | null | undefined): Promise<Connection<TransferEntity>> {
  const rows = () => db.getRepository(TransferEntity).createQueryBuilder('t').where('t.seller_id = :sellerId', { sellerId });
  return newestFirst(rows, `transfers:${sellerId}`, first, after);
}
