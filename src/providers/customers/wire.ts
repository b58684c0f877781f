import { z } from 'zod';

/** The customer service's payloads, as docs/providers/customers.md defines them. */
export const wireCustomer = z.object({
  id: z.string().min(1),
  email: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  externalRefs: z.object({
    stripe: z.string().min(1).nullable(),
    hubspot: z.string().min(1).nullable(),
  }),
  version: z.number().int(),
  etag: z.string().optional(),
});
export type WireCustomer = z.output<typeof wireCustomer>;

export const wireBatchGet = z.object({
  data: z.array(wireCustomer),
  notModified: z.array(z.string()).optional(),
  missing: z.array(z.string()),
});

export const wireCustomerPage = z.object({
  data: z.array(wireCustomer),
  nextCursor: z.string().nullable(),
});

/** `{"error":{"code","message"}}`; a 412 adds `currentVersion`, a refused field may be named. */
export const wireCustomersError = z.object({
  error: z.object({ code: z.string(), message: z.string(), currentVersion: z.number().int().optional(), field: z.string().optional() }),
});
