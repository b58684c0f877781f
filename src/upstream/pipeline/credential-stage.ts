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
      const refused = isUpstreamError(error) && error.code === ErrorCode.UpstreamUnauthorized;
      if (!refused || !(await credential.renew(authorization))) throw error;
      return next({ ...req, headers: { ...req.headers, authorization: await credential.authorization(req.call) } });
    }
  };
}
