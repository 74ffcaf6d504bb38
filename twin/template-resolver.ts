/**
 * Resolves a synthesized template's intrinsic functions (`Ref`,
 * `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split` and the
 * pseudo parameters) to the twin's names in a fixed account and region, the
 * way CloudFormation resolves them to the deployed ones. A resource's name
 * is the twin's where the twin gives one (`names`), else its explicit name
 * in the template, else its logical id.
 */
import type { CfnResource } from './cloud-template.ts';

/** The account the twin's ARNs name: never a real one. */
export const TWIN_ACCOUNT = '000000000000';

export class TemplateResolver {
  constructor(
    private readonly resources: Readonly<Record<string, CfnResource>>,
    readonly region: string,
    private readonly names: Readonly<Record<string, string>> = {},
    readonly account: string = TWIN_ACCOUNT,
  ) {}

  /** The resource's type, or an error naming the logical id. */
  typeOf(id: string): string {
    const resource = this.resources[id];
    if (resource === undefined) throw new Error(`the template has no resource ${id}`);
    return resource.Type;
  }

  private nameOf(id: string, property: string): string {
    return this.names[id] ?? (this.resources[id]?.Properties?.[property] as string | undefined) ?? id;
  }

  /** What `{"Ref": id}` resolves to. */
  ref(id: string): string {
    const { region: r, account: a } = this;
    switch (id) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return r;
      case 'AWS::AccountId':
        return a;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'PrinterAnomaly';
      case 'AWS::NoValue':
        return '';
    }
    switch (this.typeOf(id)) {
      case 'AWS::DynamoDB::Table':
        return this.nameOf(id, 'TableName');
      case 'AWS::SNS::Topic':
        return this.names[id] ?? `arn:aws:sns:${r}:${a}:${this.nameOf(id, 'TopicName')}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${r}.amazonaws.com/${a}/${this.nameOf(id, 'QueueName')}`;
      case 'AWS::Lambda::Function':
        return this.nameOf(id, 'FunctionName');
      case 'AWS::IAM::Role':
        return this.nameOf(id, 'RoleName');
      case 'AWS::Kinesis::Stream':
        return this.nameOf(id, 'Name');
      case 'AWS::IoT::TopicRule':
        return this.nameOf(id, 'RuleName');
      case 'AWS::Logs::LogGroup':
        return this.nameOf(id, 'LogGroupName');
      default:
        return this.names[id] ?? id;
    }
  }

  /** What `{"Fn::GetAtt": [id, attribute]}` resolves to. */
  getAtt(id: string, attribute: string): string {
    const { region: r, account: a } = this;
    const name = this.ref(id);
    const type = this.typeOf(id);
    if (attribute === 'Arn') {
      switch (type) {
        case 'AWS::DynamoDB::Table':
          return `arn:aws:dynamodb:${r}:${a}:table/${name}`;
        case 'AWS::SQS::Queue':
          return `arn:aws:sqs:${r}:${a}:${this.nameOf(id, 'QueueName')}`;
        case 'AWS::Lambda::Function':
          return `arn:aws:lambda:${r}:${a}:function:${name}`;
        case 'AWS::IAM::Role':
          return `arn:aws:iam::${a}:role/${name}`;
        case 'AWS::KMS::Key':
          return `arn:aws:kms:${r}:${a}:key/${name}`;
        case 'AWS::Kinesis::Stream':
          return `arn:aws:kinesis:${r}:${a}:stream/${name}`;
        case 'AWS::IoT::TopicRule':
          return `arn:aws:iot:${r}:${a}:rule/${name}`;
        case 'AWS::Logs::LogGroup':
          return `arn:aws:logs:${r}:${a}:log-group:${name}:*`;
      }
    }
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueName') return this.nameOf(id, 'QueueName');
    if (type === 'AWS::SNS::Topic' && attribute === 'TopicArn') return name;
    return `${id}.${attribute}`;
  }

  /** `value` with every intrinsic function resolved (deeply). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : (arg as string).split('.');
          return this.getAtt(id!, attribute!);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number | string, unknown];
          return (this.resolve(list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::Sub':
          return this.sub(arg);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  private sub(arg: unknown): string {
    const [text, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (Object.hasOwn(variables, name)) return String(this.resolve(variables[name]));
      const dot = name.indexOf('.');
      return dot > 0 && !name.startsWith('AWS::') ? this.getAtt(name.slice(0, dot), name.slice(dot + 1)) : this.ref(name);
    });
  }
}
