import { describe, expect, it } from 'vitest';
import { ALARM_TOPIC_PREFIX, API_FUNCTION as API_SETTINGS, EVENTS_TABLE, PREDICTION_TOPIC, PROFILES_TABLE } from '../../contract/index.ts';
import { getAttOf, onlyResource, refTo, referencedId, stackArn, statementsOfRole, sharedSynth } from '../support/cdk-app.ts';
import { API_FUNCTION, arnOf, HISTORY, keyIdOf, logGroupIdOf, NOTIFICATIONS_TOPIC, PROFILES, roleIdOf } from './stack-parts.ts';

const { template } = await sharedSynth();

const api = () => refTo(template, 'AWS::ApiGatewayV2::Api');
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are free-form JSON.
const stage = (): Record<string, any> => onlyResource(template, 'AWS::ApiGatewayV2::Stage').resource.Properties!;

describe('HTTP API', () => {
  it('is one HTTP API with no CORS configuration at all', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const { resource } = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    expect(resource.Properties).toMatchObject({ ProtocolType: 'HTTP' });
    expect(resource.Properties!['CorsConfiguration']).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain('CorsConfiguration');
  });

  it('has every route behind IAM authorization (AWS_IAM), so an unsigned request never reaches the function', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      expect(route.Properties.ApiId).toEqual(api());
      expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    }
    // IAM authorization needs no authorizer resource; there is no other kind.
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('routes everything under /api/ (ANY /api/{proxy+}) to the function, and nothing else', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey)).toEqual(['ANY /api/{proxy+}']);
    const integrationId = referencedId(routes[0]!.Properties.Target['Fn::Join'][1][1])!;
    expect(template.toJSON()['Resources'][integrationId]).toMatchObject({
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: {
        ApiId: api(),
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: getAttOf(template, 'AWS::Lambda::Function', 'Arn', API_FUNCTION),
        PayloadFormatVersion: '2.0',
      },
    });
  });

  it('lets only API Gateway, from this API and route in this account, invoke the function', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(getAttOf(template, 'AWS::Lambda::Function', 'Arn', API_FUNCTION)),
    );
    expect(permissions).toHaveLength(1);
    const { Principal, SourceArn } = permissions[0]!.Properties;
    expect(Principal).toBe('apigateway.amazonaws.com');
    expect(SourceArn).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':execute-api:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':',
          api(),
          '/*/*/api/{proxy+}',
        ],
      ],
    });
  });
});

describe('stage', () => {
  it('is the one $default stage, deployed automatically', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    expect(stage()).toMatchObject({ ApiId: api(), StageName: '$default', AutoDeploy: true });
  });

  it('throttles every route (50 requests a second, bursts of 100)', () => {
    expect(stage()['DefaultRouteSettings']).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });

  it('writes one JSON access log line per request: request id, ip, caller, route, status, latency', () => {
    const settings = stage()['AccessLogSettings'];
    const logGroupId = referencedId(settings.DestinationArn)!;
    expect(template.toJSON()['Resources'][logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    expect(JSON.parse(settings.Format as string)).toEqual({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      caller: '$context.identity.userArn',
      route: '$context.routeKey',
      status: '$context.status',
      latency: '$context.responseLatency',
    });
  });
});

describe('API function', () => {
  it('is the esbuild-bundled API handler on nodejs22.x, arm64, with its own settings', () => {
    const { resource } = onlyResource(template, 'AWS::Lambda::Function', API_FUNCTION);
    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: API_SETTINGS.memorySizeMb,
      Timeout: API_SETTINGS.timeoutSeconds,
    });
    expect(resource.Metadata).toMatchObject({ 'aws:asset:is-bundled': true });
    // Answers before the HTTP API's 30 s integration timeout cuts the request off.
    expect(API_SETTINGS.timeoutSeconds).toBeLessThan(30);
  });

  it('gets exactly what the Hono app calls: profile reads and guarded writes, two indexes, history, delivery, its logs', () => {
    const roleId = roleIdOf(template, API_FUNCTION);
    const profiles = getAttOf(template, 'AWS::DynamoDB::Table', 'Arn', PROFILES);
    const history = getAttOf(template, 'AWS::DynamoDB::Table', 'Arn', HISTORY);
    const index = (table: unknown, name: string) => ({ 'Fn::Join': ['', [table, `/index/${name}`]] });
    const statements = statementsOfRole(template, roleId);
    expect(statements).toEqual(
      expect.arrayContaining([
        { actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'], resources: [profiles] },
        {
          actions: ['dynamodb:Query'],
          resources: expect.arrayContaining([
            index(profiles, PROFILES_TABLE.rankIndex.indexName),
            index(profiles, PROFILES_TABLE.alarmIndex.indexName),
          ]),
        },
        { actions: ['dynamodb:Query'], resources: expect.arrayContaining([history, index(history, EVENTS_TABLE.feedIndex.indexName)]) },
        { actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'], resources: [history] },
        {
          actions: ['iot:Publish'],
          resources: expect.arrayContaining([
            stackArn('iot', `topic/${PREDICTION_TOPIC}`),
            stackArn('iot', `topic/${ALARM_TOPIC_PREFIX}*`),
          ]),
        },
        { actions: ['sns:Publish'], resources: [refTo(template, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC)] },
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [arnOf(keyIdOf(template, NOTIFICATIONS_TOPIC))] },
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [arnOf(logGroupIdOf(template, API_FUNCTION))] },
      ]),
    );
    expect(statements).toHaveLength(8);
    // Each index statement names just the two indexes it reads: not the deadline index, not a pattern.
    const indexQueries = statements.find((s) => JSON.stringify(s.resources).includes(PROFILES_TABLE.rankIndex.indexName))!;
    expect(indexQueries.resources).toHaveLength(2);
    // Profiles are written by guarded UpdateItems only, never replaced.
    expect(statements.filter((s) => JSON.stringify(s.resources) === JSON.stringify([profiles])).flatMap((s) => s.actions)).not.toContain(
      'dynamodb:PutItem',
    );
  });

  it('needs no iot:DescribeEndpoint: it gets the endpoint from the stack, like the detector', () => {
    const env = onlyResource(template, 'AWS::Lambda::Function', API_FUNCTION).resource.Properties!['Environment']['Variables'];
    expect(env['IOT_DATA_ENDPOINT']).toEqual({ 'Fn::Join': ['', ['https://', getAttOf(template, 'Custom::AWS', 'endpointAddress')]] });
    const actions = statementsOfRole(template, roleIdOf(template, API_FUNCTION)).flatMap((s) => s.actions);
    expect(actions).not.toContain('iot:DescribeEndpoint');
  });
});
