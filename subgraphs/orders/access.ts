import type { Viewer } from '../../lib/auth/viewer';
import { OPERATOR } from '../../lib/auth/operators';
import type { DisputeEntity, DisputeRole } from './entities';

/**
 * Who a viewer is to a dispute: its order's buyer or seller, or an operator (with the operator scope, which a
 * token carries only when signed in with two-factor); undefined for anyone else. A seller who bought from their
 * own shop cannot: checkout refuses own listings.
 */
export function disputeRoleOf(dispute: Pick<DisputeEntity, 'buyerId' | 'sellerId'>, viewer: Viewer | null): DisputeRole | undefined {
  if (!viewer) return undefined;
  if (viewer.userId === dispute.buyerId) return 'BUYER';
  if (viewer.seller?.id === dispute.sellerId) return 'SELLER';
  if (viewer.scopes.includes(OPERATOR)) return 'OPERATOR';
  return undefined;
}
