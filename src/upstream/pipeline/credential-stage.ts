import { ErrorCode, isUpstreamError } from '../../errors.ts';
import type { Credential } from '../auth/credential.ts';
import type { Stage } from './stage.ts';

/**
 * Signs each request with the credential's current authorization; after a 401 it asks the
 * credential to renew the very authorization that was refused (so that any number of concurrent
 * 401s on one token cause one renewal) and tries once more.
 */
export function credentialStage(credential: Credential): Stage {
  return (next) => async (req) => {
    const authorization = await credential.authorization(req.call);
    try {
      return await next({ ...req, headers: { ...req.headers, authorization } });
    } catch (error) {
      // Only a 401 says the token is no good (RFC 6750 §3.1); a 403 is a token without the
      // right scope, and a new one would be refused the same way.
      const refused = isUpstreamError(error) && error.code === ErrorCode.UpstreamUnauthorized && error.status === 401;
      if (!refused || !(await credential.renew(authorization))) throw error;
      return next({ ...req, headers: { ...req.headers, authorization: await credential.authorization(req.call) } });
    }
  };
}
