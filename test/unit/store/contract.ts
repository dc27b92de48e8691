// Kept for the test files that still import makeMessage from here: the contract itself lives in
// ./contract/ (one file per concern; storeContract in ./contract/index.ts).
export { makeMessage } from './contract/index.js';
