import { ErrorCode, GatewayError } from '../../errors.ts';

/**
 * A request refused by the trusted documents check, before Apollo parses anything. `status` is
 * the HTTP status of the refusal: 400 for an id that names no listed operation (the request is
 * wrong whatever its author may do), 403 for a body that is readable but not allowed.
 */
export class UntrustedOperationError extends GatewayError {
  override readonly name = 'UntrustedOperationError';

  private constructor(
    readonly code: typeof ErrorCode.PersistedQueryNotFound | typeof ErrorCode.OperationNotTrusted,
    readonly status: 400 | 403,
    message: string,
  ) {
    super(message);
  }

  static unknownId(): UntrustedOperationError {
    return new UntrustedOperationError(ErrorCode.PersistedQueryNotFound, 400, 'No trusted operation has this id');
  }

  static unlistedBody(): UntrustedOperationError {
    return new UntrustedOperationError(ErrorCode.OperationNotTrusted, 403, 'Only the operations of the trusted documents manifest may run here');
  }
}
