import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambda/config.ts';
import { ConfigurationError } from '../../lambda/errors.ts';

const base = { PROFILES_TABLE_NAME: 'PrinterProfiles' };

describe('the detector configuration', () => {
  it('reads the table, and defaults the topic and the device identity mode', () => {
    expect(readConfig(base)).toEqual({ tableName: 'PrinterProfiles', predictionTopic: 'anom/pred', deviceIdentity: 'any' });
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
