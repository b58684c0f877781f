export { CustomersClient } from './client.ts';
export { createCustomerLoaders, type CustomerLoaders, type CustomerPage } from './loaders.ts';
