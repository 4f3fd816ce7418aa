// The shapes of the AWS identifiers a user types into an authorizer. One copy, read by the client (which refuses a
// malformed one with a clear error) and by the editor (which flags it as it is typed).

const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';

/** An IAM role ARN, in any partition (`arn:aws:`, `arn:aws-cn:`, `arn:aws-us-gov:`); IAM "IAM identifiers". */
export const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/.+/;

/** A Cognito user pool id: `<region>_<letters and digits>` (Cognito API reference, UserPoolIdType). */
export const USER_POOL_ID = new RegExp(`^(${REGION})_[A-Za-z0-9]+$`);

/** A Cognito identity pool id: `<region>:<uuid>` (Cognito Identity API reference, IdentityPoolId). */
export const IDENTITY_POOL_ID = new RegExp(`^(${REGION}):[0-9a-f-]+$`);

/** An OAuth2 token endpoint: an http(s) URL without spaces. */
export const TOKEN_URL = /^https?:\/\/\S+$/;

/** The region of a user pool or identity pool id (`us-east-1_AbC…`, `us-east-1:uuid`). */
export function regionOfPool(id: string, kind: 'userPool' | 'identityPool'): string | undefined {
  return (kind === 'userPool' ? USER_POOL_ID : IDENTITY_POOL_ID).exec(id.trim())?.[1];
}
