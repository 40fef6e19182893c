import type { DataSource } from 'typeorm';
import { requireOperator } from '../../lib/auth/operators';
import type { Viewer } from '../../lib/auth/viewer';
import { newestFirst } from '../../lib/db/newest-first';
import { badInput, forbidden, notFound } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '../../lib/pagination';
import { disputeRoleOf } from './access';
import { DisputeEntity, type DisputeStatus } from './entities';

/** Reading disputes: each party its own, operators every one (the queue). */
export class DisputeQueries {
  constructor(private readonly db: DataSource) {}

  /** The order's buyer and seller, and operators. */
  async dispute(viewer: Viewer, id: string, load: (id: string) => Promise<DisputeEntity | null>): Promise<DisputeEntity> {
    const dispute = isUuid(id) ? await load(id) : null;
    if (!dispute) throw notFound('Dispute');
    if (!disputeRoleOf(dispute, viewer)) throw forbidden('Only the buyer and the seller of the order, and operators, can read a dispute');
    return dispute;
  }

  /** The viewer's disputes as buyer or as seller, newest first. */
  mine(viewer: Viewer, first?: number | null, after?: string | null): Promise<Connection<DisputeEntity>> {
    const rows = () =>
      this.db
        .getRepository(DisputeEntity)
        .createQueryBuilder('d')
        .where('(d.buyer_id = :userId OR d.seller_id = :sellerId)', { userId: viewer.userId, sellerId: viewer.seller?.id ?? null });
    return newestFirst(rows, 'disputes:mine', first, after);
  }

  /**
   * Operators' queue: open disputes before resolved ones, each oldest first (the longest waiting is decided
   * first), by keyset on (resolved, created_at, id).
   */
  async queue(viewer: Viewer, status: DisputeStatus | null, first?: number | null, after?: string | null): Promise<Connection<DisputeEntity>> {
    requireOperator(viewer);
    const kind = `disputes:queue:${status ?? '*'}`;
    const size = pageSize(first);
    const position = decodeCursor(kind, after);
    const rows = () => {
      const qb = this.db.getRepository(DisputeEntity).createQueryBuilder('d');
      return status ? qb.where('d.status = :status', { status }) : qb.where('TRUE');
    };
    const page = rows();
    if (position) {
      const [resolved, createdAt, id] = position;
      const exact = typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && new Date(createdAt).toISOString() === createdAt;
      if (typeof resolved !== 'boolean' || !exact || typeof id !== 'string' || !isUuid(id)) throw badInput('after is not a cursor of this list', 'after');
      page.andWhere(`(d.status = 'RESOLVED', d.created_at, d.id) > (CAST(:resolved AS boolean), CAST(:afterAt AS timestamptz), CAST(:afterId AS uuid))`, {
        resolved,
        afterAt: createdAt,
        afterId: id,
      });
    }
    const [found, total] = await Promise.all([
      page
        .addSelect(`CASE WHEN d.status = 'RESOLVED' THEN 1 ELSE 0 END`, 'd_rank')
        .orderBy('d_rank', 'ASC')
        .addOrderBy('d.created_at', 'ASC')
        .addOrderBy('d.id', 'ASC')
        .limit(size + 1)
        .getMany(),
      rows().getCount(),
    ]);
    return toConnection(found, size, total, (d) => encodeCursor(kind, [d.status === 'RESOLVED', d.createdAt.toISOString(), d.id]));
  }
}
