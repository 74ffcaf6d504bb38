/**
 * Where an endpoint string points, and connection failures as one line a
 * user can act on.
 */
import { describe, expect, it } from 'vitest';
import { describeCrtError, isLoopbackHost, parseEndpoint } from '../../emitter/connection.ts';
import { ReplayOptionsError } from '../../emitter/errors.ts';

describe('parseEndpoint', () => {
  it('reads mqtt:// as a local broker and a host name (https:// tolerated) as AWS IoT Core', () => {
    expect(parseEndpoint('mqtt://127.0.0.1:1884')).toEqual({ kind: 'local', host: '127.0.0.1', port: 1884 });
    expect(parseEndpoint('mqtt://localhost')).toEqual({ kind: 'local', host: 'localhost', port: 1883 });
    expect(parseEndpoint('https://abc-ats.iot.eu-west-1.amazonaws.com/')).toEqual({
      kind: 'aws',
      host: 'abc-ats.iot.eu-west-1.amazonaws.com',
    });
  });

  it.each(['mqtts://127.0.0.1:8883', 'ws://127.0.0.1:9001', 'tcp://127.0.0.1:1883', 'http://127.0.0.1:1883'])(
    'refuses %s naming the scheme and what to use instead',
    (endpoint) => {
      const scheme = endpoint.split(':')[0];
      expect(() => parseEndpoint(endpoint)).toThrow(ReplayOptionsError);
      expect(() => parseEndpoint(endpoint)).toThrow(
        `endpoint "${endpoint}": ${scheme}:// is not supported; use mqtt://HOST:PORT for a local broker (plain TCP, the local twin) or the AWS IoT Core host name (TLS)`,
      );
    },
  );
});

describe('describeCrtError', () => {
  it('keeps the CRT text and code on one line', () => {
    expect(describeCrtError(new Error('aws-c-io: AWS_IO_SOCKET_CLOSED, socket is closed.'))).toBe(
      'socket is closed (AWS_IO_SOCKET_CLOSED)',
    );
  });

  it('says what to do when websockets have no credentials', () => {
    expect(describeCrtError('AWS_AUTH_SIGNING_NO_CREDENTIALS, Attempt to sign an http request without credentials.')).toBe(
      'no AWS credentials for websockets + SigV4 (set AWS_PROFILE, or run aws configure)',
    );
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['abc-ats.iot.eu-west-1.amazonaws.com', false],
    ['10.0.0.1', false],
  ])('%s: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
