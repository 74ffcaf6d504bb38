import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambda/config.ts';
import { ConfigurationError } from '../../lambda/errors.ts';

const base = { PROFILES_TABLE_NAME: 'PrinterProfiles' };
/** A placeholder account (the repository holds no real one). */
const ACCOUNT = '0'.repeat(12);
const TOPIC_ARN = `arn:aws:sns:eu-west-1:${ACCOUNT}:alarms`;

describe('the detector configuration', () => {
  it('reads the table, and defaults the topic, the device identity mode and the history age; no history or topic unless named', () => {
    expect(readConfig(base)).toEqual({
      tableName: 'PrinterProfiles',
      predictionTopic: 'anom/pred',
      deviceIdentity: 'any',
      historyDays: 90,
    });
  });

  it('reads the history table, its age, the notifications topic and the SNS endpoint', () => {
    const env = {
      ...base,
      EVENTS_TABLE_NAME: 'PrinterEvents',
      HISTORY_DAYS: '30',
      NOTIFICATIONS_TOPIC_ARN: TOPIC_ARN,
      SNS_ENDPOINT: 'http://127.0.0.1:9',
    };
    expect(readConfig(env)).toMatchObject({
      eventsTableName: 'PrinterEvents',
      historyDays: 30,
      notificationsTopicArn: TOPIC_ARN,
      snsEndpoint: 'http://127.0.0.1:9',
    });
    expect(() => readConfig({ ...base, HISTORY_DAYS: '0' })).toThrow(
      new ConfigurationError('environment variable HISTORY_DAYS must be an integer >= 1, got "0"'),
    );
  });

  it('reads device identity mode thing and the registry endpoint', () => {
    expect(readConfig({ ...base, DEVICE_IDENTITY: 'thing', IOT_ENDPOINT: 'http://127.0.0.1:9' })).toMatchObject({
      deviceIdentity: 'thing',
      iotEndpoint: 'http://127.0.0.1:9',
    });
  });

  it('fails fast, naming the variable, on a missing table or an unknown mode', () => {
    expect(() => readConfig({})).toThrow(new ConfigurationError('environment variable PROFILES_TABLE_NAME is required'));
    expect(() => readConfig({ ...base, DEVICE_IDENTITY: 'cert' })).toThrow(
      new ConfigurationError('environment variable DEVICE_IDENTITY must be one of any, thing, got "cert"'),
    );
  });
});
