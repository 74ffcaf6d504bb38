/**
 * The twin's IAM, wired as the stack deploys it: the template of the twin's
 * deploy mode (`cloud-template.ts`), its resources named as the twin names
 * them, each function's execution role, and the calls the AWS services make
 * on the stack's behalf (the topic rule invoking the detector or putting on
 * the stream, its error action, the Scheduler invoking the sweep, Lambda
 * writing a function's logs and sending a failed invocation to its on-failure
 * destination). These service calls do not change while the twin runs, so
 * they are decided once, at start; a function's own calls are decided per
 * request by the service fronts (`iam-front.ts`, `iot-data-server.ts`).
 */
import { type DeviceIdentityMode, HTTP_API, type IngestMode, LOCAL_STREAM_NAME } from '../contract/index.ts';
import type { Closers } from './closers.ts';
import { LOCAL_AWS } from './dynamodb.ts';
import { KinesisClient } from './kinesis-client.ts';
import type { ActionFailed, RuleErrorAction, RuleTarget } from './rule-action.ts';
import type { DeadLetters } from './dead-letters.ts';
import { type CloudTemplate, cloudTemplate, logicalIdAt } from './cloud-template.ts';
import { type IamDenial, type IamRequest, type IamRole, TwinIam } from './iam.ts';
import { denialLine, dynamoDbRequests, type IamFront, kinesisLimits, kinesisRequests, startIamFront } from './iam-front.ts';
import { portError } from './errors.ts';
import type { AuthorizeCall } from './iot-data-server.ts';

/** Where the stack's parts are, as construct paths below the stack (`lib/stack.ts`). */
export const STACK_PATHS = {
  profilesTable: 'Profiles/Table/Resource',
  historyTable: 'History/Table/Resource',
  notificationsTopic: 'Notifications/Topic/Resource',
  deadLetters: 'DeadLetters/Queue/Resource',
  sweepDeadLetters: 'Sweep/DeadLetters/Queue/Resource',
  detector: 'Detector/Function/Resource',
  detectorLogs: 'Detector/LogGroup/Resource',
  sweep: 'Sweep/Function/Resource',
  sweepLogs: 'Sweep/LogGroup/Resource',
  sweepSchedule: 'Sweep/Schedule/Resource',
  api: 'OperatorApi/Function/Resource',
  apiLogs: 'OperatorApi/LogGroup/Resource',
  httpApi: 'OperatorApi/Api/Resource',
  rule: 'Rule/Rule',
  ruleErrorRole: 'Rule/ErrorActionRole/Resource',
  ruleStreamRole: 'Rule/StreamActionRole/Resource',
  stream: 'Readings/Stream/Resource',
} as const;

/** The twin's names for the stack's resources that it creates itself (its functions are named after the detector's). */
export interface TwinResourceNames {
  readonly tableName: string;
  readonly eventsTableName: string;
  readonly notificationsTopicArn: string;
  readonly functionName: string;
}

/** The twin's HTTP API id (API Gateway makes up ten characters of its own). */
export const TWIN_API_ID = 'twinlocal0';

/** The ARN API Gateway invokes the function from: its API, stage, method and route (ARN format of execute-api). */
export function httpApiSourceArn(region: string, account: string): string {
  return `arn:aws:execute-api:${region}:${account}:${TWIN_API_ID}/${HTTP_API.stage}/ANY${HTTP_API.routePath}`;
}

/** The service-side decisions, made once at start; undefined means allowed. */
export interface ServiceDecisions {
  /** The topic rule invoking the detector (direct ingest), or putting readings on the stream (stream ingest). */
  readonly ruleAction: IamDenial | undefined;
  /** The rule's error action sending a failed message to the dead-letter queue. */
  readonly ruleErrorAction: IamDenial | undefined;
  /** The Scheduler invoking the sweep. */
  readonly schedule: IamDenial | undefined;
  /** Lambda sending the detector's (or stream consumer's) failed invocations to its on-failure destination. */
  readonly detectorDeadLetters: IamDenial | undefined;
  /** Lambda sending the sweep's failed invocations to its own on-failure destination. */
  readonly sweepDeadLetters: IamDenial | undefined;
  /** API Gateway invoking the operator API function, from the HTTP API's route. */
  readonly apiInvoke: IamDenial | undefined;
  /** Lambda writing each function's logs. */
  readonly logs: Readonly<Record<'detector' | 'sweep' | 'api', IamDenial | undefined>>;
}

export interface CloudIam {
  readonly iam: TwinIam;
  readonly roles: Readonly<Record<'detector' | 'sweep' | 'api', IamRole>>;
  /** The Kinesis action's role (stream ingest). */
  readonly ruleStreamRole: IamRole | undefined;
  readonly decisions: ServiceDecisions;
  /** IAM for the calls the IoT/SNS stand-in serves, logging each refusal. */
  readonly authorizeCall: AuthorizeCall;
  /** The credentials a client signs with to act as `role`. */
  credentialsOf(role: IamRole): { accessKeyId: string; secretAccessKey: string };
}

/** The sweep schedule's input, as the template writes it (Scheduler fills its context attributes on each run: `clock.ts`). */
export function sweepInput(cloud: CloudIam): string {
  const { template } = cloud.iam;
  const input: unknown = template.resources[logicalIdAt(template, STACK_PATHS.sweepSchedule)]?.Properties?.['Target']?.['Input'];
  if (typeof input !== 'string') throw new Error(`the ${template.mode.ingest} template's sweep schedule has no input`);
  return input;
}

/** The twin's IAM for its deploy mode; logs each refusal of a service call. */
export async function startCloudIam(options: {
  readonly ingest: IngestMode;
  readonly deviceIdentity: DeviceIdentityMode;
  readonly region: string;
  readonly names: TwinResourceNames;
  readonly log: (line: string) => void;
  /** @default the stack's template for the mode */
  readonly template?: CloudTemplate | undefined;
}): Promise<CloudIam> {
  const template = options.template ?? (await cloudTemplate({ ingest: options.ingest, deviceIdentity: options.deviceIdentity }));
  const n = options.names;
  const id = (path: string) => template.paths[path];
  const names: Record<string, string> = {};
  const bind = (path: string, name: string) => {
    const logicalId = id(path);
    if (logicalId !== undefined) names[logicalId] = name;
  };
  bind(STACK_PATHS.profilesTable, n.tableName);
  bind(STACK_PATHS.historyTable, n.eventsTableName);
  bind(STACK_PATHS.notificationsTopic, n.notificationsTopicArn);
  bind(STACK_PATHS.detector, n.functionName);
  bind(STACK_PATHS.sweep, `${n.functionName}-sweep`);
  bind(STACK_PATHS.api, `${n.functionName}-api`);
  bind(STACK_PATHS.stream, LOCAL_STREAM_NAME);
  bind(STACK_PATHS.httpApi, TWIN_API_ID);
  const iam = new TwinIam(template, { region: options.region, names });
  const arn = (path: string) => iam.resolver.getAtt(iam.template.paths[path]!, 'Arn');
  const decide = async (role: IamRole | string, requests: IamRequest[], service: string) => {
    const denial = await iam.authorize(role, requests);
    if (denial !== undefined) options.log(denialLine(denial, service));
    return denial;
  };
  const roles = {
    detector: iam.functionRoleAt(STACK_PATHS.detector),
    sweep: iam.functionRoleAt(STACK_PATHS.sweep),
    api: iam.functionRoleAt(STACK_PATHS.api),
  };
  const account = iam.resolver.account;
  const ruleArn = arn(STACK_PATHS.rule);
  const ruleStreamRole = options.ingest === 'stream' ? iam.roleAt(STACK_PATHS.ruleStreamRole) : undefined;
  const ruleAction =
    ruleStreamRole === undefined
      ? await decide(
          'iot.amazonaws.com',
          [
            {
              action: 'lambda:InvokeFunction',
              resource: arn(STACK_PATHS.detector),
              context: { 'aws:SourceArn': ruleArn, 'aws:SourceAccount': account },
            },
          ],
          'local-iot-rule',
        )
      : await decide(ruleStreamRole, [{ action: 'kinesis:PutRecord', resource: arn(STACK_PATHS.stream) }], 'local-iot-rule');
  const scheduleRole = String(iam.property(STACK_PATHS.sweepSchedule, 'Target', 'RoleArn'))
    .split('/')
    .pop()!;
  const schedulerRole = [roles.detector, roles.sweep, roles.api].find((r) => r.name === scheduleRole) ?? iam.roleNamed(scheduleRole);
  const logs = async (role: IamRole, path: string) =>
    decide(
      role,
      ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: arn(path) })),
      'local-lambda',
    );
  const decisions: ServiceDecisions = {
    ruleAction,
    ruleErrorAction: await decide(
      iam.roleAt(STACK_PATHS.ruleErrorRole),
      [{ action: 'sqs:SendMessage', resource: arn(STACK_PATHS.deadLetters) }],
      'local-iot-rule',
    ),
    schedule: await decide(
      schedulerRole,
      [
        { action: 'lambda:InvokeFunction', resource: arn(STACK_PATHS.sweep) },
        { action: 'sqs:SendMessage', resource: arn(STACK_PATHS.sweepDeadLetters) },
      ],
      'local-scheduler',
    ),
    detectorDeadLetters: await decide(
      roles.detector,
      [{ action: 'sqs:SendMessage', resource: arn(STACK_PATHS.deadLetters) }],
      'local-lambda',
    ),
    sweepDeadLetters: await decide(
      roles.sweep,
      [{ action: 'sqs:SendMessage', resource: arn(STACK_PATHS.sweepDeadLetters) }],
      'local-lambda',
    ),
    apiInvoke: await decide(
      'apigateway.amazonaws.com',
      [
        {
          action: 'lambda:InvokeFunction',
          resource: arn(STACK_PATHS.api),
          context: { 'aws:SourceArn': httpApiSourceArn(options.region, account) },
        },
      ],
      'local-apigateway',
    ),
    logs: {
      detector: await logs(roles.detector, STACK_PATHS.detectorLogs),
      sweep: await logs(roles.sweep, STACK_PATHS.sweepLogs),
      api: await logs(roles.api, STACK_PATHS.apiLogs),
    },
  };
  const authorizeCall: AuthorizeCall = async (accessKeyId, requests) => {
    const role = iam.roleOfAccessKey(accessKeyId);
    return role === undefined ? undefined : decide(role, [...requests], 'local-iot');
  };
  const credentialsOf = (role: IamRole) => ({ accessKeyId: role.accessKeyId, secretAccessKey: LOCAL_AWS.credentials.secretAccessKey });
  return { iam, roles, ruleStreamRole, decisions, authorizeCall, credentialsOf };
}

/** The rule's target, unless IAM refuses the rule's action: then every message fails to the rule's error action. */
export function guardRuleTarget(cloud: CloudIam, target: RuleTarget & { refuse(topic: string): unknown }): RuleTarget {
  if (cloud.decisions.ruleAction === undefined) return target;
  const actionFailed = cloud.decisions.ruleAction.message;
  return {
    submit: (topic): ActionFailed => {
      target.refuse(topic);
      return { actionFailed };
    },
    refuse: (topic) => target.refuse(topic),
  };
}

/** The rule's error action, sending to the dead-letter queue (`failed` names the rule's action as its message does). */
export function errorAction(cloud: CloudIam, deadLetters: DeadLetters, failedAction: string, failedResource: string): RuleErrorAction {
  // A topic rule's Ref is its name.
  const ruleName = cloud.iam.resolver.ref(logicalIdAt(cloud.iam.template, STACK_PATHS.rule));
  return { ruleName, failedAction, failedResource, send: (message) => deadLetters.sendRuleError(message) };
}

/** The clock's invocation of the sweep, unless IAM refuses the Scheduler's role: then each run fails. */
export function guardSchedule<T>(cloud: CloudIam, invoke: (at: Date) => Promise<T>): (at: Date) => Promise<T | FailedRun> {
  const denied = cloud.decisions.schedule;
  if (denied === undefined) return invoke;
  return () => Promise.resolve({ ok: false, error: { errorType: 'AccessDeniedException', errorMessage: denied.message } });
}

/** What a run refused by IAM answers, as a failed invocation does. */
export interface FailedRun {
  readonly ok: false;
  readonly error: { readonly errorType: string; readonly errorMessage: string };
}

/** Stream ingest's clients: the rule's Kinesis action with its role, the event source mapping with the consumer's. */
export async function kinesisClients(cloud: CloudIam, endpoint: string, port: number, closers: Closers, log: (line: string) => void) {
  const front = await startIamFront({
    upstream: endpoint,
    iam: cloud.iam,
    requestsOf: kinesisRequests(cloud.iam),
    limits: kinesisLimits,
    service: 'local-kinesis',
    log,
    port,
  }).catch((error: unknown) => Promise.reject(portError(error, 'Kinesis', port)));
  closers.add(() => front.close());
  const region = cloud.iam.resolver.region;
  const writer = new KinesisClient(front.endpoint, region, cloud.ruleStreamRole?.accessKeyId);
  const reader = new KinesisClient(front.endpoint, region, cloud.roles.detector.accessKeyId);
  closers.add(() => {
    writer.destroy();
    reader.destroy();
  });
  return { writer, reader, endpoint: front.endpoint, port: front.port };
}

/** The DynamoDB endpoint everyone is given: IAM's front of the embedded server, on the twin's DynamoDB port. */
export async function startDynamoDbFront(
  cloud: CloudIam,
  upstream: string,
  at: { readonly host?: string | undefined; readonly dynamoDbPort?: number | undefined },
  closers: Closers,
  log: (line: string) => void,
): Promise<IamFront> {
  const port = at.dynamoDbPort ?? 0;
  const front = await startIamFront({
    upstream,
    iam: cloud.iam,
    requestsOf: dynamoDbRequests(cloud.iam),
    service: 'local-dynamodb',
    log,
    host: at.host ?? '127.0.0.1',
    port,
  }).catch((error: unknown) => Promise.reject(portError(error, 'DynamoDB', port)));
  closers.add(() => front.close());
  return front;
}
