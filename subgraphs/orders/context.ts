import type DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { loaderByKey } from '../../lib/dataloader';
import { validIds } from '../../lib/ids';
import { OrderEntity } from './entities';

export interface OrdersContext {
  viewer: Viewer | null;
  loaders: { order: DataLoader<string, OrderEntity | null> };
}

export function ordersLoaders(db: DataSource): OrdersContext['loaders'] {
  const orders = db.getRepository(OrderEntity);
  return { order: loaderByKey((ids) => orders.findBy({ id: In(validIds(ids)) }), (o) => o.id) };
}
