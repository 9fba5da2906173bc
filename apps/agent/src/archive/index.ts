export { ArchiveError, type ArchiveErrorKind } from './errors.js';
export { type ExtractOptions, type ExtractResult, extractArchive } from './extract.js';
