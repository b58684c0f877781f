import type { CustomerModel } from '../../model/types.ts';
import type { WireCustomer } from './wire.ts';

export function toCustomer(wire: WireCustomer): CustomerModel {
  return {
    kind: 'Customer',
    id: wire.id,
    email: wire.email,
    name: wire.name,
    createdAt: new Date(wire.createdAt),
    updatedAt: new Date(wire.updatedAt),
    version: wire.version,
    stripeRef: wire.externalRefs.stripe,
    hubspotRef: wire.externalRefs.hubspot,
  };
}
