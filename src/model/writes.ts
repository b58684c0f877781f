/**
 * What writes produce. Unlike the read models these are plain JSON (amounts as strings of minor
 * units, instants as ISO strings): a queued write's payload is stored, and read back by
 * `writeStatus` on any instance, days later.
 */

export type WriteStateModel = 'SUCCEEDED' | 'QUEUED' | 'FAILED';

export type UserErrorCodeModel =
  | 'PAYMENT_NOT_FOUND'
  | 'CUSTOMER_NOT_FOUND'
  | 'CRM_CONTACT_NOT_FOUND'
  | 'AMOUNT_TOO_LARGE'
  | 'INVALID_AMOUNT'
  | 'CURRENCY_MISMATCH'
  | 'ALREADY_REFUNDED'
  | 'NOT_REFUNDABLE'
  | 'INVALID_EMAIL'
  | 'EMAIL_TAKEN'
  | 'INVALID_VALUE'
  | 'NOTHING_TO_CHANGE'
  | 'UNKNOWN_LIFECYCLE_STAGE';

export interface UserErrorModel {
  code: UserErrorCodeModel;
  message: string;
  /** Path of the input field at fault, e.g. ['input', 'amount']. */
  field: string[] | null;
}

export type RefundReasonModel = 'DUPLICATE' | 'FRAUDULENT' | 'REQUESTED_BY_CUSTOMER';

export interface RefundModel {
  id: string;
  /** Integer string in the currency's minor unit. */
  amountMinor: string;
  /** ISO 4217, upper-case. */
  currency: string;
  status: string;
  reason: RefundReasonModel | null;
  /** ISO 8601. */
  createdAt: string;
}

export interface CrmNoteModel {
  id: string;
  body: string;
  /** ISO 8601. */
  timestamp: string;
}

/** What every write payload has: where it stands and, when refused, why. */
export interface WritePayloadBase {
  status: WriteStateModel;
  operationId: string | null;
  userErrors: UserErrorModel[];
}

/** The objects are ids, read through the loaders when asked for, so they are read as they now stand. */
export interface RefundPaymentPayloadModel extends WritePayloadBase {
  kind: 'RefundPaymentPayload';
  refund: RefundModel | null;
  /** The Stripe charge id. */
  paymentId: string | null;
}

export interface UpdateCustomerPayloadModel extends WritePayloadBase {
  kind: 'UpdateCustomerPayload';
  /** The customer service's id. */
  customerId: string | null;
}

export interface UpdateCrmContactPayloadModel extends WritePayloadBase {
  kind: 'UpdateCrmContactPayload';
  /** The HubSpot contact id. */
  contactId: string | null;
}

export interface AddCrmNotePayloadModel extends WritePayloadBase {
  kind: 'AddCrmNotePayload';
  note: CrmNoteModel | null;
  contactId: string | null;
}

export type WritePayloadModel = RefundPaymentPayloadModel | UpdateCustomerPayloadModel | UpdateCrmContactPayloadModel | AddCrmNotePayloadModel;

/** A queued write as `writeStatus` shows it. */
export interface WriteOperationModel {
  id: string;
  mutation: string;
  state: WriteStateModel;
  attempts: number;
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
  payload: WritePayloadModel | null;
  error: { code: string; message: string } | null;
}
