/** The Customer 360 page: 50 customers, each with payments, CRM contact and deals. */
export const CUSTOMER_360 = /* GraphQL */ `
  query Customer360($first: Int!, $after: String) {
    customers(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          name
          email
          createdAt
          updatedAt
          payments(first: 5) {
            edges { node { id amount { amount minorUnits currency } amountRefunded { amount currency } status createdAt description } }
            pageInfo { hasNextPage endCursor }
          }
          crmContact { id firstName lastName email lifecycleStage createdAt updatedAt }
          deals(first: 5) {
            edges { node { id name amount { amount minorUnits currency } stage closeDate pipeline } }
            pageInfo { hasNextPage }
          }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
