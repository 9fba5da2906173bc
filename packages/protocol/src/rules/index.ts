export * from './evaluate';
export * from './schema';
