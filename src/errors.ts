// The broker's error type and status codes, re-exported from the domain layer for adapters.
export { BrokerError, isBrokerError } from './domain/errors.js';
export { Code, codeName, codeOf, knownCodeName, type CodeName, type CodeValue } from './domain/codes.js';
