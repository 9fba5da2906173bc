export * from './codec';
export * from './commands';
export * from './messages';
export * from './state';
