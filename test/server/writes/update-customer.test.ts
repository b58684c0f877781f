import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { apiKeysFile, bearer } from '../../support/auth.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { QUICK_WRITES } from '../../support/quick-writes.ts';

const UPDATE = `mutation($input: UpdateCustomerInput!, $deferred: Boolean) {
  updateCustomer(input: $input, allowDeferred: $deferred) {
    status operationId
    customer { id email name version }
    userErrors { code field }
  }
}`;

const CUSTOMER = `query($id: ID!) { customer(id: $id) { id email name version } }`;
const CUSTOMERS = `query($first: Int!) { customers(first: $first) { edges { node { id email name version } } } }`;
const WRITE_STATUS = `query($id: ID!) {
  writeStatus(id: $id) { state error { code } payload { ... on UpdateCustomerPayload { status customer { email } } } }
}`;

interface CustomerView {
  id: string;
  email: string;
  name: string;
  version: number;
}

interface UpdateAnswer {
  updateCustomer: {
    status: string;
    operationId: string | null;
    customer: CustomerView | null;
    userErrors: Array<{ code: string; field: string[] | null }>;
  } | null;
}

interface WriteStatusAnswer {
  writeStatus: { state: string; error: { code: string } | null; payload: { status: string; customer: { email: string } | null } | null } | null;
}

const PATCH_ROUTE = 'PATCH /v1/customers/:id';

/** Reads and requests every describe below needs from its own stack. */
function helpers(stack: () => GatewayStack) {
  const customerId = (index: number) => stack().dataset.customers[index]!.id;
  return {
    customerId,
    globalId: (index: number) => toGlobalId('Customer', customerId(index)),
    update: (input: Record<string, unknown>, deferred = false, headers: Record<string, string> = {}) =>
      stack().post<UpdateAnswer>(UPDATE, { input, deferred }, headers),
    read: async (id: string) => (await stack().query<{ customer: CustomerView | null }>(CUSTOMER, { id })).data?.customer ?? null,
    stats: () => stack().simStats('customers'),
  };
}

/** Changes through the embedded default: the customer simulator counts what the gateway sent. */
describe('updateCustomer', () => {
  let stack: GatewayStack;
  const { globalId, update, read, stats } = helpers(() => stack);

  beforeAll(async () => {
    stack = await GatewayStack.start();
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.resetAll());

  /** The simulator's webhook for a change delivered to the gateway and handled, so no later call can be its doing. */
  const settled = async () => {
    await stack.simulators.customers.webhooks.settled();
    await eventually(async () => (await stack.gateway.events.log.backlog()) === 0);
  };

  it('changes the email and name and answers the customer one version on, with exactly one PATCH', async () => {
    const id = globalId(0);
    const before = (await read(id))!;

    const answer = await update({ id, email: 'ada.renamed@example.com', name: 'Ada Renamed', expectedVersion: before.version });

    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.updateCustomer).toEqual({
      status: 'SUCCEEDED',
      operationId: null,
      customer: { id, email: 'ada.renamed@example.com', name: 'Ada Renamed', version: before.version + 1 },
      userErrors: [],
    });
    expect((await stats()).byRoute[PATCH_ROUTE]).toEqual({ '200': 1 });
  });

  it('shows the change in customer(id) and in a cached list with no customer-service call: the write stored the new record', async () => {
    const id = globalId(0);
    const list = async () => (await stack.query<{ customers: { edges: Array<{ node: CustomerView }> } }>(CUSTOMERS, { first: 5 })).data!.customers.edges.map((e) => e.node);
    const listed = (await list()).find((node) => node.id === id)!;
    expect(listed).toBeDefined();
    const calls = (await stats()).requests;

    const answer = await update({ id, email: 'grace.changed@example.com', name: 'Grace Changed' });
    expect(answer.body.data?.updateCustomer?.status).toBe('SUCCEEDED');
    await settled();

    const expected = { id, email: 'grace.changed@example.com', name: 'Grace Changed', version: listed.version + 1 };
    expect(await read(id)).toEqual(expected);
    expect((await list()).find((node) => node.id === id)).toEqual(expected);
    const after = await stats();
    expect(after.requests - calls).toBe(1);
    expect(after.byRoute[PATCH_ROUTE]).toEqual({ '200': 1 });
  });

  it('drops a customer from a cached list filtered by the email it no longer has', async () => {
    const id = globalId(5);
    const { email } = (await read(id))!;
    const BY_EMAIL = `query($email: String!) { customers(first: 5, email: $email) { edges { node { id email } } } }`;
    const byEmail = async (address: string) => (await stack.query<{ customers: { edges: Array<{ node: { id: string; email: string } }> } }>(BY_EMAIL, { email: address })).data!.customers.edges.map((e) => e.node);
    expect(await byEmail(email)).toEqual([{ id, email }]);

    expect((await update({ id, email: 'moved.away@example.com' })).body.data?.updateCustomer?.status).toBe('SUCCEEDED');
    expect(await byEmail(email)).toEqual([]);
  });

  it('lets exactly one of two concurrent changes from the same version through; the other is a CONFLICT naming the new version', async () => {
    const id = globalId(1);
    const { version } = (await read(id))!;

    const answers = await Promise.all([
      update({ id, name: 'First Writer', expectedVersion: version }),
      update({ id, name: 'Second Writer', expectedVersion: version }),
    ]);

    const won = answers.filter((a) => a.body.data?.updateCustomer?.status === 'SUCCEEDED');
    const lost = answers.filter((a) => a.body.data?.updateCustomer === null);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = won[0]!.body.data!.updateCustomer!.customer!;
    expect(winner.version).toBe(version + 1);
    expect(lost[0]!.body.errors).toEqual([
      expect.objectContaining({ path: ['updateCustomer'], extensions: expect.objectContaining({ code: 'CONFLICT', currentVersion: version + 1 }) }),
    ]);
    // Nothing lost silently: the record holds what the client that was told SUCCEEDED sent.
    expect(await read(id)).toMatchObject({ name: winner.name, version: version + 1 });
    expect((await stats()).byRoute[PATCH_ROUTE]).toEqual({ '200': 1, '412': 1 });
  });

  it('refuses a change from a stale version with CONFLICT and changes nothing', async () => {
    const id = globalId(2);
    const { version } = (await read(id))!;
    expect((await update({ id, name: 'Newer Name', expectedVersion: version })).body.data?.updateCustomer?.status).toBe('SUCCEEDED');

    const stale = await update({ id, name: 'Stale Name', email: 'stale@example.com', expectedVersion: version });

    expect(stale.body.data?.updateCustomer).toBeNull();
    expect(stale.body.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'CONFLICT', currentVersion: version + 1 })]);
    const now = (await read(id))!;
    expect(now).toMatchObject({ name: 'Newer Name', version: version + 1 });
    expect(now.email).not.toBe('stale@example.com');
  });

  it('recognises its own change when the answer to its PATCH was lost and the resend finds the version moved on', async () => {
    const id = globalId(2);
    const { version } = (await read(id))!;
    await stack.simAdmin('customers', 'faults', { resetAfterNext: 1 });

    const answer = await update({ id, email: 'Lost.Answer@example.com', name: 'Lost Answer', expectedVersion: version });

    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.updateCustomer).toMatchObject({ status: 'SUCCEEDED', customer: { email: 'lost.answer@example.com', name: 'Lost Answer', version: version + 1 } });
    // The first PATCH was applied (answer lost), the resend failed its If-Match: one change, not two.
    expect((await stats()).byRoute[PATCH_ROUTE]).toEqual({ '0': 1, '412': 1 });
  });

  it('answers EMAIL_TAKEN with status FAILED when another customer has the email', async () => {
    const id = globalId(3);
    const before = (await read(id))!;
    const taken = stack.dataset.customers[4]!.email;

    const answer = await update({ id, email: taken.toUpperCase() });

    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.updateCustomer).toEqual({ status: 'FAILED', operationId: null, customer: null, userErrors: [{ code: 'EMAIL_TAKEN', field: ['input', 'email'] }] });
    expect(await read(id)).toEqual(before);
    expect((await stats()).byRoute[PATCH_ROUTE]).toEqual({ '409': 1 });
  });

  it.each([
    ['an invalid email', { email: 'not-an-email' }, [{ code: 'INVALID_EMAIL', field: ['input', 'email'] }]],
    ['a blank name', { name: '   ' }, [{ code: 'INVALID_VALUE', field: ['input', 'name'] }]],
    ['nothing to change', {}, [{ code: 'NOTHING_TO_CHANGE', field: ['input'] }]],
  ])('refuses %s before calling the customer service', async (_case, change, userErrors) => {
    const answer = await update({ id: globalId(0), ...change });

    expect(answer.body.data?.updateCustomer).toEqual({ status: 'FAILED', operationId: null, customer: null, userErrors });
    expect((await stats()).requests).toBe(0);
  });

  it('answers CUSTOMER_NOT_FOUND for a customer the service does not have', async () => {
    const answer = await update({ id: toGlobalId('Customer', 'cust_does_not_exist'), name: 'Nobody' });

    expect(answer.body.data?.updateCustomer).toEqual({ status: 'FAILED', operationId: null, customer: null, userErrors: [{ code: 'CUSTOMER_NOT_FOUND', field: ['input', 'id'] }] });
    expect((await stats()).byRoute[PATCH_ROUTE]).toEqual({ '404': 1 });
  });
});

/**
 * Deferred changes. The queue retries every 10 to 50 ms and the circuit half-opens after 20 ms,
 * so a write waits for the outage's end, not for production's backoff; nothing here sleeps.
 */
describe('updateCustomer while the customer service is down', () => {
  let stack: GatewayStack;
  const { globalId, update, read, stats } = helpers(() => stack);

  beforeAll(async () => {
    stack = await GatewayStack.start(QUICK_WRITES);
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.resetAll());

  const writeStatus = async (operationId: string) => (await stack.query<WriteStatusAnswer>(WRITE_STATUS, { id: operationId })).data?.writeStatus ?? null;

  it('does not queue a change with expectedVersion: its check belongs to now', async () => {
    const id = globalId(0);
    const { version } = (await read(id))!;
    await stack.simAdmin('customers', 'faults', { outage: true });

    const answer = await update({ id, name: 'Never Queued', expectedVersion: version }, true);

    expect(answer.body.data?.updateCustomer).toBeNull();
    expect(answer.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['UPSTREAM_UNAVAILABLE']);
    await stack.simAdmin('customers', 'faults', {});
    const after = (await read(id))!;
    expect(after).toMatchObject({ version });
    expect(after.name).not.toBe('Never Queued');
  });

  it('queues a change without expectedVersion and applies it once the outage ends', async () => {
    const id = globalId(1);
    await stack.simAdmin('customers', 'faults', { outage: true });

    const answer = await update({ id, email: 'queued.change@example.com' }, true);

    const payload = answer.body.data?.updateCustomer;
    expect(answer.body.errors).toBeUndefined();
    expect(payload).toMatchObject({ status: 'QUEUED', customer: null, userErrors: [] });
    expect(payload?.operationId).toEqual(expect.any(String));
    expect(await writeStatus(payload!.operationId!)).toMatchObject({ state: 'QUEUED', payload: null });

    await stack.simAdmin('customers', 'faults', {});
    let status: WriteStatusAnswer['writeStatus'] = null;
    await eventually(async () => {
      status = await writeStatus(payload!.operationId!);
      return status?.state !== 'QUEUED';
    });
    expect(status).toEqual({ state: 'SUCCEEDED', error: null, payload: { status: 'SUCCEEDED', customer: { email: 'queued.change@example.com' } } });
    expect(await read(id)).toMatchObject({ email: 'queued.change@example.com' });
    expect((await stats()).byRoute[PATCH_ROUTE]?.['200']).toBe(1);
  });
});

describe('updateCustomer scopes', () => {
  const READER = 'trib_test_customers_reader_5b1e';
  let stack: GatewayStack;

  beforeAll(async () => {
    stack = await GatewayStack.start({
      API_KEYS_FILE: apiKeysFile([{ key: READER, client: 'read-only-desk', tenant: 'sample', scopes: ['customers:read', 'crm:read', 'crm:write'] }]),
    });
  });
  afterAll(() => stack?.close());

  it('refuses a principal without customers:write with FORBIDDEN and sends nothing', async () => {
    await stack.resetAll();
    const id = toGlobalId('Customer', stack.dataset.customers[0]!.id);

    const answer = await stack.post<UpdateAnswer>(UPDATE, { input: { id, name: 'Not Allowed' } }, bearer(READER));

    expect(answer.body.data?.updateCustomer ?? null).toBeNull();
    expect(answer.body.errors?.map((e) => [e.path, e.extensions?.['code'], e.extensions?.['scope']])).toEqual([[['updateCustomer'], 'FORBIDDEN', 'customers:write']]);
    expect((await stack.simStats('customers')).byRoute[PATCH_ROUTE]).toBeUndefined();
  });
});
