/** A user of the Cognito user pool stand-in. `status` other than CONFIRMED makes the login fail as Cognito's does. */
export interface EmulatorUser {
  username: string;
  password: string;
  status?: 'CONFIRMED' | 'UNCONFIRMED' | 'RESET_REQUIRED' | 'FORCE_CHANGE_PASSWORD' | 'MFA';
}

/** An app client: of the user pool (InitiateAuth), and with a secret also of the OAuth2 token endpoint. */
export interface EmulatorAppClient {
  clientId: string;
  clientSecret?: string;
}

export interface EmulatorIdentityPool {
  identityPoolId: string;
  /** Guest (unauthenticated) identities; default true. */
  allowGuests?: boolean;
}

/** What the identity stand-ins know: the user pool, its app clients, the identity pools. */
export interface IdentityConfig {
  region: string;
  userPoolId: string;
  users: ReadonlyMap<string, EmulatorUser>;
  /** With none declared, any client id is accepted without a secret. */
  clients: ReadonlyMap<string, EmulatorAppClient>;
  identityPools: ReadonlyMap<string, EmulatorIdentityPool>;
}
