import { z } from 'zod';

/** HubSpot CRM v3 object: every property value is a string or null. */
export const wireObject = z.object({
  id: z.string().min(1),
  properties: z.record(z.string(), z.string().nullable()),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  archived: z.boolean().optional(),
});
export type WireObject = z.output<typeof wireObject>;

const wireBatchError = z.object({
  status: z.string(),
  category: z.string(),
  message: z.string().optional(),
  context: z.record(z.string(), z.array(z.string())).optional(),
});

/** 200 COMPLETE, or 207 with `errors` for the inputs HubSpot could not find. */
export const wireBatchRead = z.object({
  status: z.string(),
  results: z.array(wireObject),
  numErrors: z.number().int().optional(),
  errors: z.array(wireBatchError).optional(),
});

/**
 * CRM v4 associations batch read; `toObjectId` arrives as a number or a string. Each result is one
 * page of one input's associations; `paging.next.after` is present only when more follow.
 */
export const wireAssociationsBatch = z.object({
  status: z.string(),
  results: z.array(
    z.object({
      from: z.object({ id: z.coerce.string() }),
      to: z.array(z.object({ toObjectId: z.union([z.number(), z.string()]).transform(String) })),
      paging: z.object({ next: z.object({ after: z.string().min(1) }).optional() }).optional(),
    }),
  ),
  errors: z.array(wireBatchError).optional(),
});

/** HubSpot's error body (`category`, e.g. VALIDATION_ERROR; per-field `errors[].code`, e.g. INVALID_OPTION). */
export const wireHubSpotError = z.object({
  status: z.string(),
  message: z.string(),
  category: z.string(),
  correlationId: z.string().optional(),
  errors: z.array(z.object({ message: z.string().optional(), code: z.string().optional() })).optional(),
});
