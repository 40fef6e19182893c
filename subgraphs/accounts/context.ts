import type DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { loaderByKey, loaderOfLists } from '../../lib/dataloader';
import { validIds } from '../../lib/ids';
import type { AddressBook } from './addresses';
import type { AuditLogQueries } from './audit-queries';
import { AddressEntity, SellerEntity, UserEntity } from './entities';
import type { AccountSecurity } from './account-security';
import type { AccountPrivacy } from './privacy';
import type { SellerStanding } from './seller-standing';
import type { AccountsService } from './service';

export interface AccountsLoaders {
  user: DataLoader<string, UserEntity | null>;
  seller: DataLoader<string, SellerEntity | null>;
  sellerOfUser: DataLoader<string, SellerEntity | null>;
  addressesOfUser: DataLoader<string, AddressEntity[]>;
}

export interface AccountsContext {
  viewer: Viewer | null;
  /**
   * Users whose private fields (email) this request may show: the viewer, and the user who just
   * signed up or logged in, whose token the client does not hold yet.
   */
  selves: Set<string>;
  accounts: AccountsService;
  security: AccountSecurity;
  privacy: AccountPrivacy;
  addresses: AddressBook;
  /** Operators' suspensions and reinstatements of shops. */
  standing: SellerStanding;
  /** Operators' reading of the audit log. */
  auditLog: AuditLogQueries;
  loaders: AccountsLoaders;
}

export function accountsLoaders(db: DataSource): AccountsLoaders {
  const users = db.getRepository(UserEntity);
  const sellers = db.getRepository(SellerEntity);
  const addresses = db.getRepository(AddressEntity);
  return {
    user: loaderByKey((ids) => users.findBy({ id: In(validIds(ids)) }), (u) => u.id),
    seller: loaderByKey((ids) => sellers.findBy({ id: In(validIds(ids)) }), (s) => s.id),
    sellerOfUser: loaderByKey((ids) => sellers.findBy({ userId: In(validIds(ids)) }), (s) => s.userId),
    addressesOfUser: loaderOfLists((ids) => addresses.findBy({ userId: In(validIds(ids)) }), (a) => a.userId),
  };
}
