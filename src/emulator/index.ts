export { createEmulator } from './server';
export type { Emulator, EmulatorEvents, EmulatorFaults, EmulatorOptions, EmulatorStats } from './server';
export { verifySigV4 } from './sigv4-verifier';
export type { SigV4Key, SignedRequest, VerifyOptions, VerifyResult } from './sigv4-verifier';
export { readApiConfig } from './api-config';
export type { ApiConfig } from './api-config';
export type { AuthMode, NamespaceConfig } from './namespaces';
