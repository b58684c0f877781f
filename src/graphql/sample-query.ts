/**
 * The Customer 360 query: one customer's record from each provider in one operation. Printed by
 * main.ts at start-up and preloaded in the explorer's editor, so both show the same thing.
 */
export const SAMPLE_QUERY = `query Customer360 {
  customers(first: 3) {
    edges { node { name email
      payments(first: 2) { edges { node { amount { amount currency } status } } }
      crmContact { lifecycleStage }
      deals(first: 2) { edges { node { name stage amount { amount currency } } } } } }
  }
}`;
