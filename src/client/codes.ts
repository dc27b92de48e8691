// The RocketMQ v2 status codes for SDK users: the broker's own table (domain/codes.ts).
export { Code, codeName, type CodeName } from '../domain/codes.js';
