export { CustomersClient, type CustomerPage } from './client.ts';
export { createCustomerLoaders, type CustomerLoaders } from './loaders.ts';
