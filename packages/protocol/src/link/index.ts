export * from './codec';
export * from './commands';
export * from './farm-account';
export * from './messages';
export * from './pairing';
export * from './pin';
export * from './state';
export * from './thumbnail';
