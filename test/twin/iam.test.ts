/**
 * The twin enforces the IAM of the deployed stack (twin/iam.ts): every call a
 * function makes, and the calls services make for the stack, are evaluated
 * against the synthesized template of the twin's mode. A grant the product
 * needs and the template lacks fails here, as it would fail in AWS; a grant
 * the template has and no call needs is listed, and must be removed or kept
 * with its reason below.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceIdentityMode, IngestMode } from '../../contract/index.ts';
import { startTwin, type Twin, type TwinOptions } from '../../twin/twin.ts';
import { cloudTemplate } from '../../twin/cloud-template.ts';
import { exerciseEveryPath, IAM_SCENARIO_PROFILES, IAM_SCENARIO_THINGS, iamCoverage } from '../../cli/iam-scenario.ts';
import { withoutAction } from '../support/iam.ts';

/** The HTTP API route's resource policy statement on the API function (`lib/operator-api.ts`). */
const API_INVOKE_PERMISSION = 'OperatorApi/Api/ANY--api--{proxy+}/Function-Permission';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

/** A twin in `ingest` / `deviceIdentity` mode with the scenario's printers and things; its log lines go to `lines`. */
function startScenarioTwin(ingest: IngestMode, deviceIdentity: DeviceIdentityMode, lines: string[], extra: Partial<TwinOptions> = {}) {
  return startTwin({
    ingest,
    deviceIdentity,
    things: IAM_SCENARIO_THINGS,
    profiles: IAM_SCENARIO_PROFILES,
    logFile: false,
    sweepSeconds: 0,
    onLog: (line) => lines.push(line),
    ...extra,
  });
}

describe.each<[IngestMode, DeviceIdentityMode]>([
  ['direct', 'any'],
  ['stream', 'any'],
  ['direct', 'thing'],
])('%s ingest, device identity %s', (ingest, deviceIdentity) => {
  it('every path of the product is allowed by the roles the stack deploys, and every grant is needed', async () => {
    const lines: string[] = [];
    twin = await startScenarioTwin(ingest, deviceIdentity, lines);
    const coverage = await iamCoverage(twin, lines);
    console.log(
      `IAM coverage, ${ingest}/${deviceIdentity}: ${coverage.grants} grants, ${coverage.unused} unused, each kept with its reason`,
    );
    expect({ denied: coverage.denied, failedRoutes: coverage.failedRoutes, unexplained: coverage.unexplained }).toEqual({
      denied: [],
      failedRoutes: [],
      unexplained: [],
    });
  });
});

describe('a grant taken away from a role is refused on the twin as in AWS, in every mode', () => {
  it.each<[IngestMode, DeviceIdentityMode, string, string]>([
    ['direct', 'any', 'Detector/Function/Resource', 'dynamodb:BatchGetItem'],
    ['direct', 'any', 'Detector/Function/Resource', 'iot:Publish'],
    ['direct', 'any', 'Sweep/Function/Resource', 'dynamodb:Query'],
    ['direct', 'any', 'OperatorApi/Function/Resource', 'dynamodb:Scan'],
    ['direct', 'any', 'OperatorApi/Function/Resource', 'dynamodb:Query'],
    ['stream', 'any', 'OperatorApi/Function/Resource', 'dynamodb:UpdateItem'],
    ['direct', 'any', 'SchedulerRoleForTarget-098f73/Resource', 'lambda:InvokeFunction'],
    ['stream', 'any', 'Detector/Function/Resource', 'kinesis:ListShards'],
    ['stream', 'any', 'Detector/Function/Resource', 'dynamodb:UpdateItem'],
    ['stream', 'any', 'Rule/StreamActionRole/Resource', 'kinesis:PutRecord'],
    ['direct', 'thing', 'Detector/Function/Resource', 'iot:DescribeThing'],
  ])('%s ingest, identity %s: %s without %s', async (ingest, deviceIdentity, path, action) => {
    const template = withoutAction(await cloudTemplate({ ingest, deviceIdentity }), path, action);
    const lines: string[] = [];
    let failure: unknown;
    try {
      twin = await startScenarioTwin(ingest, deviceIdentity, lines, { template, retryDelaysMs: [10, 10], streamRetryAttempts: 1 });
      const status = await exerciseEveryPath(twin);
      failure = Object.values(status).some((code) => code >= 500) ? status : undefined;
    } catch (error) {
      failure = error;
    }
    // One clear line names the role, the action and the resource, and the path that needed it failed.
    const denied = lines.filter((line) => line.includes('IAM denied') && line.includes(` ${action} on `));
    expect(denied.length).toBeGreaterThan(0);
    expect(JSON.parse(denied[0]!).reason).toMatch(/is not authorized to perform/);
    const failed = failure !== undefined || (twin?.stats().deadLettered ?? 0) > 0 || (twin?.stats().ruleErrors ?? 0) > 0;
    expect(failed).toBe(true);
  });
});

describe("API Gateway's permission to invoke the operator API function", () => {
  it('taken away, every API request is answered 500 by API Gateway and one line names the refusal', async () => {
    const template = structuredClone(await cloudTemplate({ ingest: 'direct', deviceIdentity: 'any' }));
    const permission = template.paths[API_INVOKE_PERMISSION]!;
    expect(template.resources[permission]?.Type).toBe('AWS::Lambda::Permission');
    delete (template.resources as Record<string, unknown>)[permission];
    const lines: string[] = [];
    twin = await startTwin({ template, logFile: false, sweepSeconds: 0, onLog: (line) => lines.push(line) });
    for (const path of ['/api/health', '/api/printers/ranked']) {
      const reply = await fetch(`${twin.httpUrl}${path}`);
      expect({ status: reply.status, body: await reply.json() }).toEqual({ status: 500, body: { message: 'Internal Server Error' } });
    }
    const denied = lines.filter((line) => line.includes('IAM denied') && line.includes(' lambda:InvokeFunction on '));
    expect(denied).toHaveLength(1);
    expect(JSON.parse(denied[0]!).reason).toMatch(/apigateway\.amazonaws\.com is not authorized to perform/);
  });
});
