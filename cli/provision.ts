/**
 * `npm run provision`: registers a device with AWS IoT Core for the emitter: a
 * thing, a key pair and an active certificate, the stack's device policy
 * attached to the certificate, the certificate attached to the thing. The
 * files go to a git-ignored folder with mode 0600; the command then prints
 * the exact `npm run emit` command for the new device.
 */
import { CliError, UsageError, readStackOutputs, runCli, type StackOutputs } from './kit.ts';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorLine } from './aws-errors.ts';

/** The part of the IoT client provisioning uses; tests pass a fake. */
export type IotSender = Pick<IoTClient, 'send'>;

export interface ProvisionOptions {
  /** Thing name; also the MQTT client id the emit command uses. */
  readonly thingName: string;
  /** @default DevicePolicyName of cdk-outputs.json */
  readonly policyName?: string;
  /** @default Region of cdk-outputs.json, else the SDK's default chain */
  readonly region?: string;
  /** Files go to `outDir/thingName/`. @default 'certs' */
  readonly outDir?: string;
}

export interface ProvisionDependencies {
  /** @default a new IoTClient for the region */
  readonly iot?: IotSender;
  /** The stack's outputs. @default read from cdk-outputs.json */
  readonly outputs?: StackOutputs | undefined;
  /** Where progress lines go. @default stdout */
  readonly log?: (line: string) => void;
}

export interface ProvisionResult {
  readonly thingName: string;
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly policyName: string;
  /** The AWS IoT Core data (ATS) endpoint. */
  readonly endpoint: string;
  readonly files: { readonly certificate: string; readonly privateKey: string; readonly publicKey: string };
  /** The command that replays the sample data as this device. */
  readonly emitCommand: string;
}

/** AWS IoT's rule for thing names. */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const DEFAULT_OUT_DIR = 'certs';

/** Quotes a shell word only when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Creates the thing, keys and certificate, attaches the policy and the
 * thing, and writes the certificate and keys (mode 0600, folder 0700). Refuses
 * to overwrite existing files, before calling AWS. On a failure after the
 * certificate exists, logs what was created and how to remove it.
 *
 * @throws {UsageError} bad thing name, no policy name.
 * @throws {CliError} files exist already, or an AWS call failed.
 */
export async function provision(options: ProvisionOptions, deps: ProvisionDependencies = {}): Promise<ProvisionResult> {
  const log = deps.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { thingName } = options;
  if (!THING_NAME.test(thingName)) {
    throw new UsageError(`--thing-name must be 1 to 128 letters, digits, ':', '_' or '-', got "${thingName}"`);
  }
  const outputs = 'outputs' in deps ? deps.outputs : readStackOutputs();
  const policyName = options.policyName ?? outputs?.DevicePolicyName;
  if (!policyName) {
    throw new UsageError(
      'no device policy: pass --policy NAME, or deploy the stack (npm run deploy) so that cdk-outputs.json has DevicePolicyName',
    );
  }
  const region = options.region ?? outputs?.Region;
  const regionFlag = region ? ` --region ${shellWord(region)}` : '';

  const dir = join(options.outDir ?? DEFAULT_OUT_DIR, thingName);
  const files = {
    certificate: join(dir, 'device.pem.crt'),
    privateKey: join(dir, 'private.pem.key'),
    publicKey: join(dir, 'public.pem.key'),
  };
  for (const file of Object.values(files)) {
    if (existsSync(file)) {
      throw new CliError(`${file} already exists: refusing to overwrite it (remove ${dir} or choose another --thing-name or --out-dir)`);
    }
  }

  const iot = deps.iot ?? new IoTClient(region ? { region } : {});
  let endpoint = outputs?.IotDataEndpoint?.replace(/^https:\/\//i, '').replace(/\/+$/, '');
  if (!endpoint) {
    try {
      const described = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
      endpoint = described.endpointAddress;
    } catch (error) {
      throw new CliError(`DescribeEndpoint failed, nothing was created: ${errorLine(error)}`);
    }
    if (!endpoint) throw new CliError('DescribeEndpoint returned no endpoint address, nothing was created');
  }

  const created: string[] = [];
  const cleanup: string[] = [];
  let step = 'CreateThing';
  let certificateArn: string | undefined;
  let certificateId: string | undefined;
  try {
    await iot.send(new CreateThingCommand({ thingName }));
    created.push(`thing ${thingName}`);
    cleanup.unshift(`aws iot delete-thing --thing-name ${thingName}${regionFlag}`);

    step = 'CreateKeysAndCertificate';
    const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    certificateArn = keys.certificateArn;
    certificateId = keys.certificateId;
    if (certificateId) {
      created.push(`certificate ${certificateId} (active)`);
      cleanup.unshift(
        `aws iot update-certificate --certificate-id ${certificateId} --new-status INACTIVE${regionFlag}`,
        `aws iot delete-certificate --certificate-id ${certificateId}${regionFlag}`,
      );
    }
    const privateKey = keys.keyPair?.PrivateKey;
    const publicKey = keys.keyPair?.PublicKey;
    if (!certificateArn || !certificateId || !keys.certificatePem || !privateKey || !publicKey) {
      throw new Error('the response lacks the certificate, its id or ARN, or the key pair');
    }

    // The private key exists only in this response: write it before anything else can fail.
    step = `writing the files to ${dir}`;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    for (const [file, content] of [
      [files.certificate, keys.certificatePem],
      [files.privateKey, privateKey],
      [files.publicKey, publicKey],
    ] as const) {
      await writeFile(file, content, { mode: 0o600, flag: 'wx' });
      await chmod(file, 0o600);
    }
    created.push(`files in ${dir}`);
    cleanup.push(`rm -r ${shellWord(dir)}`);

    step = 'AttachPolicy';
    await iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
    created.push(`policy ${policyName} attached to the certificate`);
    cleanup.unshift(`aws iot detach-policy --policy-name ${shellWord(policyName)} --target ${certificateArn}${regionFlag}`);

    step = 'AttachThingPrincipal';
    await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
  } catch (error) {
    if (created.length > 0) {
      log(`created before the failure: ${created.join('; ')}`);
      if (step === `writing the files to ${dir}`) log('the private key was not saved: the certificate cannot be used, remove it');
      log('to remove them:');
      for (const command of cleanup) log(`  ${command}`);
    } else {
      log('nothing was created');
    }
    throw new CliError(`${step} failed: ${errorLine(error)}`);
  }

  const emitCommand = [
    'npm run emit --',
    `--endpoint ${shellWord(endpoint)}`,
    `--cert ${shellWord(files.certificate)}`,
    `--key ${shellWord(files.privateKey)}`,
    `--client-id ${thingName}`,
    '--file data/printer_iot_data.json',
  ].join(' ');
  log(
    `created thing ${thingName} and certificate ${certificateId} (active); attached policy ${policyName} to the certificate and the certificate to the thing`,
  );
  log(`wrote ${files.certificate}, ${files.privateKey}, ${files.publicKey} (mode 0600; keep them out of git)`);
  log('replay the sample data as this device with:');
  log(`  ${emitCommand}`);
  return { thingName, certificateId, certificateArn, policyName, endpoint, files, emitCommand };
}

const spec = {
  usage: 'npm run provision -- --thing-name NAME [--policy NAME] [--region R] [--out-dir certs]',
  summary:
    'Registers a device for the emitter with AWS IoT Core: creates the thing, a key pair and an active certificate, ' +
    "attaches the stack's device policy to the certificate and the certificate to the thing, writes the certificate " +
    'and keys to OUT-DIR/NAME/ (mode 0600, git-ignored) and prints the npm run emit command to use them. Never overwrites files.',
  options: {
    'thing-name': { type: 'string' },
    policy: { type: 'string' },
    region: { type: 'string' },
    'out-dir': { type: 'string' },
  },
  help: {
    'thing-name': 'name of the thing to create; also the MQTT client id (required)',
    policy: 'IoT policy to attach (default: DevicePolicyName in cdk-outputs.json)',
    region: 'AWS region (default: Region in cdk-outputs.json, else AWS_REGION / the profile)',
    'out-dir': `folder for the certificate and keys (default ${DEFAULT_OUT_DIR}, git-ignored)`,
  },
} as const;

/** True when this file is the program (`tsx cli/provision.ts`), not imported by a test. */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  await runCli(spec, async (values) => {
    const thingName = values['thing-name'];
    if (thingName === undefined) throw new UsageError('--thing-name is required');
    await provision({
      thingName,
      ...(values.policy !== undefined ? { policyName: values.policy } : {}),
      ...(values.region !== undefined ? { region: values.region } : {}),
      ...(values['out-dir'] !== undefined ? { outDir: values['out-dir'] } : {}),
    });
  });
}
