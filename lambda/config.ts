/**
 * The detector's configuration, read once from the environment the stack (or
 * the twin) sets, failing fast with the variable's name.
 */
import { DEFAULT_HISTORY_DAYS, DEVICE_IDENTITY_MODES, type DeviceIdentityMode, ENV, PREDICTION_TOPIC } from '../contract/index.ts';
import { ConfigurationError } from './errors.ts';

export interface DetectorConfig {
  readonly tableName: string;
  readonly predictionTopic: string;
  /** Set only to override the default AWS endpoint (the local twin). */
  readonly iotDataEndpoint?: string;
  /** Set only to override the default AWS endpoint (the local twin). */
  readonly dynamoDbEndpoint?: string;
  /** Who may report for a printer. @default 'any' */
  readonly deviceIdentity?: DeviceIdentityMode;
  /** Set only to override the default IoT control-plane endpoint (the local twin's thing registry). */
  readonly iotEndpoint?: string;
  /** The history table; absent: nothing is recorded. */
  readonly eventsTableName?: string;
  /** Days history items are kept. @default DEFAULT_HISTORY_DAYS */
  readonly historyDays?: number;
  /** The SNS topic alarm notifications go to; absent: nothing is notified. */
  readonly notificationsTopicArn?: string;
  /** Set only to override the default SNS endpoint (the local twin). */
  readonly snsEndpoint?: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`environment variable ${name} is required`);
  return value;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function optionalUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = optional(env, name);
  if (value !== undefined && !URL.canParse(value)) {
    throw new ConfigurationError(`environment variable ${name} must be a URL, got "${value}"`);
  }
  return value;
}

/** Reads and checks the detector's configuration. */
export function readConfig(env: NodeJS.ProcessEnv): DetectorConfig {
  const iotDataEndpoint = optionalUrl(env, ENV.iotDataEndpoint);
  const dynamoDbEndpoint = optionalUrl(env, ENV.dynamoDbEndpoint);
  const iotEndpoint = optionalUrl(env, ENV.iotEndpoint);
  const identity = optional(env, ENV.deviceIdentity) ?? 'any';
  if (!DEVICE_IDENTITY_MODES.includes(identity as DeviceIdentityMode)) {
    throw new ConfigurationError(
      `environment variable ${ENV.deviceIdentity} must be one of ${DEVICE_IDENTITY_MODES.join(', ')}, got "${identity}"`,
    );
  }
  const eventsTableName = optional(env, ENV.eventsTableName);
  const notificationsTopicArn = optional(env, ENV.notificationsTopicArn);
  const snsEndpoint = optionalUrl(env, ENV.snsEndpoint);
  const historyDays = Number(optional(env, ENV.historyDays) ?? DEFAULT_HISTORY_DAYS);
  if (!Number.isSafeInteger(historyDays) || historyDays < 1) {
    throw new ConfigurationError(`environment variable ${ENV.historyDays} must be an integer >= 1, got "${env[ENV.historyDays]}"`);
  }
  return {
    ...(eventsTableName ? { eventsTableName } : {}),
    historyDays,
    ...(notificationsTopicArn ? { notificationsTopicArn } : {}),
    ...(snsEndpoint ? { snsEndpoint } : {}),
    tableName: required(env, ENV.tableName),
    predictionTopic: optional(env, ENV.predictionTopic) ?? PREDICTION_TOPIC,
    ...(iotDataEndpoint ? { iotDataEndpoint } : {}),
    ...(dynamoDbEndpoint ? { dynamoDbEndpoint } : {}),
    deviceIdentity: identity as DeviceIdentityMode,
    ...(iotEndpoint ? { iotEndpoint } : {}),
  };
}
