export * from './channel';
export * from './encoding';
export * from './endpoint';
export * from './errors';
export * from './limits';
export * from './messages';
export * from './publish-result';
export * from './signing-body';
