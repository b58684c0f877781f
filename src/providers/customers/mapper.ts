import type { CustomerModel } from '../../model/types.ts';
import { mappedOnce } from '../../model/mapped-once.ts';
import type { WireCustomer } from './wire.ts';

export const toCustomer = mappedOnce((wire: WireCustomer): CustomerModel => ({
  kind: 'Customer',
  id: wire.id,
  email: wire.email,
  name: wire.name,
  createdAt: new Date(wire.createdAt),
  updatedAt: new Date(wire.updatedAt),
  version: wire.version,
  stripeRef: wire.externalRefs.stripe,
  hubspotRef: wire.externalRefs.hubspot,
}));
