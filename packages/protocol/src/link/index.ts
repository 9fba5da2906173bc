export * from './codec';
export * from './commands';
export * from './log-text';
export * from './messages';
export * from './pairing';
export * from './state';
export * from './thumbnail';
