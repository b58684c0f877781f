import type { WriteSupport } from '../../graphql/resolver-context.ts';
import type { WriteOperationModel, WritePayloadModel } from '../../model/writes.ts';
import type { WriteEnv } from '../../providers/write-env.ts';
import type { WriteRecord } from '../../writes/write-record-store.ts';
import type { WriteService } from '../../writes/write-service.ts';
import type { OperationContext, ProviderServices } from '../operation-context.ts';

/** A write runs with the operation's own loaders, report and deadline, and its tenant's clients. */
export function writeEnvOf(context: OperationContext, services: ProviderServices, upstreamKey: string): WriteEnv {
  return {
    customers: context.customers,
    stripe: context.stripe,
    hubspot: context.hubspot,
    clients: { customers: services.customers.client, stripe: services.stripe.client, hubspot: services.hubspot.client },
    call: context.call,
    upstreamKey,
  };
}

/** The resolvers' view of the write service, for one operation of one principal. */
export function createWriteSupport(service: WriteService<WriteEnv>, context: OperationContext, services: ProviderServices): WriteSupport {
  const { principal } = context;
  return {
    run: (definition, input, { path, allowDeferred }) =>
      service.run(definition, input, {
        tenantId: principal.tenantId,
        clientId: principal.clientId,
        clientKey: context.idempotency.key,
        path,
        allowDeferred,
        env: (upstreamKey) => writeEnvOf(context, services, upstreamKey),
      }),
    status: async (id) => {
      const record = await service.status(id, principal.tenantId);
      return record && operationOf(record);
    },
  };
}

export function operationOf(record: WriteRecord): WriteOperationModel {
  return {
    id: record.id,
    mutation: record.mutation,
    state: record.state,
    attempts: record.attempts,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    payload: (record.result as WritePayloadModel | undefined) ?? null,
    error: record.error ?? null,
  };
}
