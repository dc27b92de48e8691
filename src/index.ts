// Owns the public surface of the `halfmoon-broker` package entry: running a broker in-process
// (Broker with its options), resolving its configuration (resolveConfig, DEFAULT_CONFIG, the
// settings table and their types), the broker's one error type and the RocketMQ codes it carries,
// and loggers. The client SDK is `halfmoon-broker/client`.
export { Broker, type BrokerOptions } from './broker.js';
export {
  CONFIG_SPEC,
  DEFAULT_CONFIG,
  InvalidConfigError,
  configTable,
  envName,
  flagOf,
  resolveConfig,
  type BrokerConfig,
  type ConfigKey,
  type ResolveConfigInput,
} from './config.js';
export { BrokerError, Code, codeName, isBrokerError, type CodeName, type CodeValue } from './errors.js';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './logger.js';
