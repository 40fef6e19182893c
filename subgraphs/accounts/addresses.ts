import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { badInput, notFound, unauthenticated } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { postalAddress, type PostalAddressInput } from '../../lib/postal-address';
import { AddressEntity, UserEntity } from './entities';

/** Bounds one user's address book: enough for every home, office and relative anyone ships to. */
export const MAX_ADDRESSES = 50;

/**
 * A user's address book: the first address, or one added with `makeDefault`, is the default; removing
 * the default makes the most recently added remaining one the default. Changes to one user's book
 * take that user's row lock, so two at once cannot leave it with two defaults or none.
 */
export class AddressBook {
  constructor(private readonly db: DataSource) {}

  async add(viewer: Viewer, input: PostalAddressInput, makeDefault: boolean): Promise<AddressEntity> {
    const address = postalAddress(input);
    return this.db.transaction(async (manager) => {
      await lockUser(manager, viewer.userId);
      const addresses = manager.getRepository(AddressEntity);
      const held = await addresses.countBy({ userId: viewer.userId });
      if (held >= MAX_ADDRESSES) throw badInput(`an address book holds at most ${MAX_ADDRESSES} addresses`, 'input');
      const isDefault = makeDefault || held === 0;
      if (isDefault) await addresses.update({ userId: viewer.userId, isDefault: true }, { isDefault: false });
      return addresses.save(addresses.create({ ...address, userId: viewer.userId, isDefault }));
    });
  }

  /** One of a user's addresses, or their default without an id; null when there is none. */
  async forDelivery(userId: string, addressId?: string | null): Promise<AddressEntity | null> {
    if (!isUuid(userId) || (addressId && !isUuid(addressId))) return null;
    const addresses = this.db.getRepository(AddressEntity);
    return addressId ? addresses.findOneBy({ id: addressId, userId }) : addresses.findOneBy({ userId, isDefault: true });
  }

  async remove(viewer: Viewer, id: string): Promise<true> {
    if (!isUuid(id)) throw notFound('Address');
    await this.db.transaction(async (manager) => {
      await lockUser(manager, viewer.userId);
      const addresses = manager.getRepository(AddressEntity);
      const address = await addresses.findOneBy({ id, userId: viewer.userId });
      if (!address) throw notFound('Address');
      await addresses.delete({ id });
      if (!address.isDefault) return;
      const latest = await addresses.findOne({ where: { userId: viewer.userId }, order: { createdAt: 'DESC', id: 'DESC' } });
      if (latest) await addresses.update({ id: latest.id }, { isDefault: true });
    });
    return true;
  }
}

async function lockUser(manager: EntityManager, userId: string): Promise<void> {
  const user = await manager.getRepository(UserEntity).findOne({ where: { id: userId }, lock: { mode: 'pessimistic_write' } });
  if (!user) throw unauthenticated('Your account no longer exists');
}

/** The order a book is shown in: the default first, then the newest. */
export function inBookOrder(addresses: AddressEntity[]): AddressEntity[] {
  return [...addresses].sort(
    (a, b) => Number(b.isDefault) - Number(a.isDefault) || b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id),
  );
}
