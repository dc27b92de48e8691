// Owns the public face of the LevelDB backend: the store class, its options and the storage
// format version it writes. Everything else under src/store/level is internal to it.
export { LevelStore, STORAGE_FORMAT_VERSION, type LevelStoreOptions } from './store.js';
