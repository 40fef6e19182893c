import type DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { loaderByKey } from '../../lib/dataloader';
import { validIds } from '../../lib/ids';
import { PaymentEntity } from './entities';

export interface PaymentsContext {
  viewer: Viewer | null;
  loaders: { payment: DataLoader<string, PaymentEntity | null> };
}

export function paymentsLoaders(db: DataSource): PaymentsContext['loaders'] {
  const payments = db.getRepository(PaymentEntity);
  return { payment: loaderByKey((ids) => payments.findBy({ id: In(validIds(ids)) }), (p) => p.id) };
}
