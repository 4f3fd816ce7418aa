import { CodeHandlers } from './code-handlers';

/** The authorization modes as AppSync names them. */
export const AUTH_MODES = ['API_KEY', 'AMAZON_COGNITO_USER_POOLS', 'OPENID_CONNECT', 'AWS_LAMBDA', 'AWS_IAM'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface NamespaceConfig {
  name: string;
  /** Modes allowed to publish; without them, every mode the API has. */
  publishAuthModes?: AuthMode[];
  subscribeAuthModes?: AuthMode[];
  /** An ES module with `onPublish` and/or `onSubscribe` (APPSYNC_JS handlers), an absolute path. */
  codeHandlers?: string;
}

/** A channel namespace of the running emulator: who may publish and subscribe, and its handlers. */
export class Namespace {
  readonly name: string;
  readonly handlers: CodeHandlers | undefined;
  readonly #publish: ReadonlySet<AuthMode> | undefined;
  readonly #subscribe: ReadonlySet<AuthMode> | undefined;

  constructor(config: NamespaceConfig, log: (line: string) => void) {
    this.name = config.name;
    this.#publish = config.publishAuthModes?.length ? new Set(config.publishAuthModes) : undefined;
    this.#subscribe = config.subscribeAuthModes?.length ? new Set(config.subscribeAuthModes) : undefined;
    this.handlers = config.codeHandlers ? new CodeHandlers(config.codeHandlers, log) : undefined;
  }

  /** Whether a credential that satisfies `modes` may do `operation` here. */
  allows(operation: 'publish' | 'subscribe', modes: readonly AuthMode[]): boolean {
    const allowed = operation === 'publish' ? this.#publish : this.#subscribe;
    return !allowed || modes.some((m) => allowed.has(m));
  }

  close(): void {
    this.handlers?.close();
  }
}

/** The namespaces by name. */
export class Namespaces {
  readonly #byName = new Map<string, Namespace>();

  constructor(configs: ReadonlyArray<string | NamespaceConfig>, log: (line: string) => void) {
    for (const c of configs.length ? configs : ['default']) {
      const config = typeof c === 'string' ? { name: c } : c;
      this.#byName.set(config.name, new Namespace(config, log));
    }
  }

  get(name: string): Namespace | undefined {
    return this.#byName.get(name);
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }

  close(): void {
    for (const n of this.#byName.values()) n.close();
  }
}
