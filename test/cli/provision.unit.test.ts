/**
 * Device provisioning for AWS IoT Core with a fake IoT client that records
 * the commands: it never talks to AWS.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/kit.ts';
import { provision, type IotSender } from '../../cli/provision.ts';
import { removeTempDirs, tempDir } from '../support/emitter.ts';

afterAll(removeTempDirs);

const ENDPOINT = 'example-ats.iot.eu-west-1.amazonaws.com';
const CERT_ARN = 'arn:aws:iot:eu-west-1:ACCOUNT:cert/c0ffee';
// Stand-ins for the PEM texts AWS returns (no real key material in the repository).
const KEYS = {
  certificateArn: CERT_ARN,
  certificateId: 'c0ffee',
  certificatePem: 'fake certificate PEM\n',
  keyPair: { PrivateKey: 'fake private key PEM\n', PublicKey: 'fake public key PEM\n' },
};

/** A fake IoT client: records each command's name and input, answers like AWS, fails `failOn`. */
function fakeIot(failOn?: string) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      if (name === failOn)
        throw Object.assign(new Error('User is not authorized to perform this action'), { name: 'AccessDeniedException' });
      switch (name) {
        case 'DescribeEndpoint':
          return { endpointAddress: ENDPOINT };
        case 'CreateThing':
          return { thingName: command.input['thingName'], thingArn: 'arn:aws:iot:eu-west-1:ACCOUNT:thing/x' };
        case 'CreateKeysAndCertificate':
          return KEYS;
        default:
          return {};
      }
    },
  };
  return { iot: client as unknown as IotSender, calls };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('provision', () => {
  it('creates the thing, an active certificate, attaches the policy and the thing, in that order', async () => {
    const outDir = join(tempDir(), 'certs');
    const { iot, calls } = fakeIot();
    const lines: string[] = [];
    const result = await provision(
      { thingName: 'printer-emitter', outDir },
      { iot, outputs: { DevicePolicyName: 'StackDevicePolicy', Region: 'eu-west-1' }, log: (l) => lines.push(l) },
    );

    expect(calls).toEqual([
      { command: 'DescribeEndpoint', input: { endpointType: 'iot:Data-ATS' } },
      { command: 'CreateThing', input: { thingName: 'printer-emitter' } },
      { command: 'CreateKeysAndCertificate', input: { setAsActive: true } },
      { command: 'AttachPolicy', input: { policyName: 'StackDevicePolicy', target: CERT_ARN } },
      { command: 'AttachThingPrincipal', input: { thingName: 'printer-emitter', principal: CERT_ARN } },
    ]);
    const dir = join(outDir, 'printer-emitter');
    expect(result.files).toEqual({
      certificate: join(dir, 'device.pem.crt'),
      privateKey: join(dir, 'private.pem.key'),
      publicKey: join(dir, 'public.pem.key'),
    });
    expect(readFileSync(result.files.certificate, 'utf8')).toBe(KEYS.certificatePem);
    expect(readFileSync(result.files.privateKey, 'utf8')).toBe(KEYS.keyPair.PrivateKey);
    expect(readFileSync(result.files.publicKey, 'utf8')).toBe(KEYS.keyPair.PublicKey);
    for (const file of Object.values(result.files)) expect(mode(file)).toBe(0o600);
    expect(mode(dir)).toBe(0o700);

    const command = `npm run emit -- --endpoint ${ENDPOINT} --cert ${result.files.certificate} --key ${result.files.privateKey} --client-id printer-emitter --file data/printer_iot_data.json`;
    expect(result.emitCommand).toBe(command);
    expect(lines).toContain(`  ${command}`);
  });

  it('uses the endpoint and policy from the stack outputs, or the ones given', async () => {
    const { iot, calls } = fakeIot();
    const result = await provision(
      { thingName: 'd1', outDir: tempDir(), policyName: 'GivenPolicy' },
      { iot, outputs: { DevicePolicyName: 'StackDevicePolicy', IotDataEndpoint: `https://${ENDPOINT}` }, log: () => {} },
    );
    expect(calls.map((c) => c.command)).not.toContain('DescribeEndpoint');
    expect(calls.find((c) => c.command === 'AttachPolicy')?.input['policyName']).toBe('GivenPolicy');
    expect(result.emitCommand).toContain(`--endpoint ${ENDPOINT} `);
  });

  it('refuses to overwrite existing files, before calling AWS', async () => {
    const outDir = tempDir();
    mkdirSync(join(outDir, 'd1'));
    writeFileSync(join(outDir, 'd1', 'private.pem.key'), 'an earlier key');
    const { iot, calls } = fakeIot();
    await expect(provision({ thingName: 'd1', outDir, policyName: 'P' }, { iot, outputs: undefined, log: () => {} })).rejects.toThrow(
      /private\.pem\.key already exists: refusing to overwrite/,
    );
    expect(calls).toEqual([]);
    expect(readFileSync(join(outDir, 'd1', 'private.pem.key'), 'utf8')).toBe('an earlier key');
  });

  it('on a failure after the certificate exists: keeps the keys and says what was created and how to remove it', async () => {
    const outDir = tempDir();
    const { iot, calls } = fakeIot('AttachPolicy');
    const lines: string[] = [];
    await expect(
      provision(
        { thingName: 'd2', outDir, policyName: 'P', region: 'eu-west-1' },
        { iot, outputs: { IotDataEndpoint: ENDPOINT }, log: (l) => lines.push(l) },
      ),
    ).rejects.toThrow('AttachPolicy failed: AccessDeniedException: User is not authorized to perform this action');
    expect(calls.map((c) => c.command)).toEqual(['CreateThing', 'CreateKeysAndCertificate', 'AttachPolicy']);
    expect(existsSync(join(outDir, 'd2', 'private.pem.key'))).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain('thing d2');
    expect(text).toContain('certificate c0ffee (active)');
    expect(text).toContain('aws iot update-certificate --certificate-id c0ffee --new-status INACTIVE --region eu-west-1');
    expect(text).toContain('aws iot delete-certificate --certificate-id c0ffee --region eu-west-1');
    expect(text).toContain('aws iot delete-thing --thing-name d2 --region eu-west-1');
  });

  it('needs a policy name and a valid thing name', async () => {
    const { iot, calls } = fakeIot();
    await expect(provision({ thingName: 'd3', outDir: tempDir() }, { iot, outputs: undefined, log: () => {} })).rejects.toThrow(UsageError);
    await expect(
      provision({ thingName: 'no spaces', outDir: tempDir(), policyName: 'P' }, { iot, outputs: undefined, log: () => {} }),
    ).rejects.toThrow(UsageError);
    expect(calls).toEqual([]);
  });
});
