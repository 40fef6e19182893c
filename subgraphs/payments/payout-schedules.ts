import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { forbidden } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { PayoutScheduleEntity, type PayoutSchedule } from './entities';

export const DEFAULT_PAYOUT_SCHEDULE: PayoutSchedule = 'PER_ORDER';

/**
 * When money released in a period is transferred, for DAILY and WEEKLY: everything released before
 * the start of the current day (or week, from Monday), in UTC. PER_ORDER: everything released so far.
 */
export function transferCutoff(schedule: PayoutSchedule, now: Date): Date {
  if (schedule === 'PER_ORDER') return now;
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  if (schedule === 'DAILY') return day;
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * 86_400_000);
}

/** Each seller's payout schedule: PER_ORDER unless they chose DAILY or WEEKLY. */
export class PayoutSchedules {
  constructor(private readonly db: DataSource) {}

  async of(sellerId: string): Promise<PayoutSchedule> {
    if (!isUuid(sellerId)) return DEFAULT_PAYOUT_SCHEDULE;
    const row = await this.db.transaction((m) => m.getRepository(PayoutScheduleEntity).findOneBy({ sellerId }));
    return row?.schedule ?? DEFAULT_PAYOUT_SCHEDULE;
  }

  /** The seller only (the SDL's seller scope lets sellers in; this checks they are one). */
  async set(viewer: Viewer, schedule: PayoutSchedule): Promise<PayoutSchedule> {
    const sellerId = viewer.seller?.id;
    if (!sellerId) throw forbidden('Only sellers choose a payout schedule');
    await this.db.transaction((m) =>
      m
        .createQueryBuilder()
        .insert()
        .into(PayoutScheduleEntity)
        .values({ sellerId, schedule, updatedAt: new Date() })
        .orUpdate(['schedule', 'updated_at'], ['seller_id'])
        .execute(),
    );
    return schedule;
  }
}
