/**
 * IAM on the twin: every AWS call a function makes, and every call a service
 * makes on the stack's behalf, is evaluated against the policies that the
 * synthesized template (`cloud-template.ts`) gives that role, together with
 * the resource's own policy (topic, queue, key, function permissions), by a
 * maintained IAM policy evaluator (`@cloud-copilot/iam-simulate`; why that
 * one, and its licence, in docs/design.md "What the twin proves about the
 * cloud"). As Lambda does, each function's environment gets credentials of
 * its own; the twin's service fronts read the SigV4 access key of a request
 * to know the role. Requests signed with other keys (the operator's CLIs,
 * tests) are the account owner's and are not evaluated.
 *
 * Every allowed request is recorded, so that a test can list the grants no
 * request ever needed (`unexercisedGrants`).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { type CloudTemplate, logicalIdAt } from './cloud-template.ts';
import { TemplateResolver } from './template-resolver.ts';

// biome-ignore lint/suspicious/noExplicitAny: IAM policy documents are free-form JSON.
type PolicyDocument = { Version?: string; Statement: any[] };

/** A role the twin acts as: a function's execution role, or a service's role. */
export interface IamRole {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The principal of a session of the role, as AWS names it in a request context. */
  readonly sessionArn: string;
  /** The access key id that names this role in a signed request. */
  readonly accessKeyId: string;
}

/** One request to evaluate: an action on a resource, with its context keys. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

/** One allowed action on one resource pattern, as a policy statement grants it. */
export interface IamGrant {
  readonly role: string;
  readonly sid: string | undefined;
  readonly action: string;
  readonly resource: string;
}

/** Raised to the caller the way AWS refuses a request: `AccessDeniedException`. */
export class IamDenial {
  constructor(
    readonly role: IamRole | string,
    readonly request: IamRequest,
    readonly message: string,
  ) {}
}

/** Every request the cloud makes over TLS: the stack's TLS-only policies see `aws:SecureTransport` true. */
const CLOUD_CONTEXT = { 'aws:SecureTransport': 'true' } as const;

const asArray = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];

export class TwinIam {
  readonly resolver: TemplateResolver;
  private readonly rolesById = new Map<string, IamRole>();
  private readonly rolesByKey = new Map<string, IamRole>();
  private readonly identityPolicies = new Map<string, PolicyDocument[]>();
  private readonly resourcePolicies = new Map<string, PolicyDocument>();
  private readonly keysOf = new Map<string, string>();
  private readonly decisions = new Map<string, Promise<string | undefined>>();
  private readonly exercisedRequests = new Map<string, { role: string; action: string; resource: string }>();

  constructor(
    readonly template: CloudTemplate,
    options: { readonly region: string; readonly names?: Readonly<Record<string, string>> },
  ) {
    this.resolver = new TemplateResolver(template.resources, options.region, options.names);
    const r = this.resolver;
    for (const [id, resource] of Object.entries(template.resources)) {
      const props = resource.Properties ?? {};
      switch (resource.Type) {
        case 'AWS::IAM::Role': {
          const name = r.ref(id);
          const role: IamRole = {
            logicalId: id,
            name,
            arn: r.getAtt(id, 'Arn'),
            sessionArn: `arn:aws:sts::${r.account}:assumed-role/${name}/twin`,
            accessKeyId: `TWIN${id}`,
          };
          this.rolesById.set(id, role);
          this.rolesByKey.set(role.accessKeyId, role);
          const inline = asArray(props['Policies'] as { PolicyDocument: PolicyDocument }[]).map((p) => r.resolve(p.PolicyDocument));
          this.identityPolicies.set(id, [...(this.identityPolicies.get(id) ?? []), ...(inline as PolicyDocument[])]);
          break;
        }
        case 'AWS::IAM::Policy':
          for (const role of asArray(props['Roles'] as { Ref: string }[])) {
            this.identityPolicies.set(role.Ref, [
              ...(this.identityPolicies.get(role.Ref) ?? []),
              r.resolve(props['PolicyDocument']) as PolicyDocument,
            ]);
          }
          break;
        case 'AWS::SNS::TopicPolicy':
          for (const topic of asArray(props['Topics']))
            this.addResourcePolicy(String(r.resolve(topic)), r.resolve(props['PolicyDocument']));
          break;
        case 'AWS::SQS::QueuePolicy':
          for (const queue of asArray(props['Queues'] as { Ref: string }[])) {
            this.addResourcePolicy(r.getAtt(queue.Ref, 'Arn'), r.resolve(props['PolicyDocument']));
          }
          break;
        case 'AWS::KMS::Key':
          this.addResourcePolicy(r.getAtt(id, 'Arn'), r.resolve(props['KeyPolicy']));
          break;
        case 'AWS::SNS::Topic':
          if (props['KmsMasterKeyId'] !== undefined) this.keysOf.set(r.ref(id), String(r.resolve(props['KmsMasterKeyId'])));
          break;
        case 'AWS::Lambda::Permission': {
          const functionArn = String(r.resolve(props['FunctionName']));
          const condition: Record<string, Record<string, unknown>> = {};
          if (props['SourceArn'] !== undefined) condition['ArnLike'] = { 'aws:SourceArn': r.resolve(props['SourceArn']) };
          if (props['SourceAccount'] !== undefined) condition['StringEquals'] = { 'aws:SourceAccount': r.resolve(props['SourceAccount']) };
          const principal = String(r.resolve(props['Principal']));
          this.addResourcePolicy(functionArn, {
            Statement: [
              {
                Sid: id,
                Effect: 'Allow',
                Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
                Action: r.resolve(props['Action']),
                Resource: functionArn,
                ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
              },
            ],
          });
          break;
        }
      }
    }
  }

  private addResourcePolicy(arn: string, document: unknown): void {
    const existing = this.resourcePolicies.get(arn);
    const statements = (document as PolicyDocument).Statement;
    this.resourcePolicies.set(arn, { Version: '2012-10-17', Statement: [...(existing?.Statement ?? []), ...statements] });
  }

  /** The role of the resource at a construct path below the stack (`Detector/Role/Resource`). */
  roleAt(path: string): IamRole {
    return this.role(logicalIdAt(this.template, path));
  }

  /** The execution role of the function at a construct path (`Detector/Function/Resource`). */
  functionRoleAt(path: string): IamRole {
    const fn = this.template.resources[logicalIdAt(this.template, path)];
    const role = fn?.Properties?.['Role'] as { 'Fn::GetAtt': [string, string] } | undefined;
    if (role === undefined) throw new Error(`${path} has no role`);
    return this.role(role['Fn::GetAtt'][0]);
  }

  /** The name of the role with logical id `id`. */
  roleNameOf(id: string): string {
    return this.role(id).name;
  }

  /** The role whose name is `name`, or an error naming it. */
  roleNamed(name: string): IamRole {
    const role = [...this.rolesById.values()].find((r) => r.name === name);
    if (role === undefined) throw new Error(`the template has no role named ${name}`);
    return role;
  }

  private role(id: string): IamRole {
    const role = this.rolesById.get(id);
    if (role === undefined) throw new Error(`the template has no role ${id}`);
    return role;
  }

  /** The role a request's access key names, or undefined for keys that are not a role's (the operator's own). */
  roleOfAccessKey(accessKeyId: string | undefined): IamRole | undefined {
    return accessKeyId === undefined ? undefined : this.rolesByKey.get(accessKeyId);
  }

  /** The KMS key that encrypts a topic, if any (publishing needs `kms:GenerateDataKey` and `kms:Decrypt` on it). */
  encryptionKeyOf(resourceArn: string): string | undefined {
    return this.keysOf.get(resourceArn);
  }

  /** The resolved template value at a resource's property path (for a twin part that must agree with the stack). */
  property(path: string, ...keys: string[]): unknown {
    let value: unknown = this.template.resources[logicalIdAt(this.template, path)]?.Properties;
    for (const key of keys) value = (value as Record<string, unknown> | undefined)?.[key];
    return this.resolver.resolve(value);
  }

  /**
   * Evaluates `requests` as `role` (a role, or a service principal such as
   * `iot.amazonaws.com` calling a function): the first one IAM would refuse,
   * or undefined when all are allowed.
   */
  async authorize(role: IamRole | string, requests: readonly IamRequest[]): Promise<IamDenial | undefined> {
    for (const request of requests) {
      const denial = await this.decide(role, request);
      if (denial !== undefined) return new IamDenial(role, request, denial);
      if (typeof role !== 'string') {
        const key = `${role.logicalId} ${request.action} ${request.resource}`;
        this.exercisedRequests.set(key, { role: role.logicalId, action: request.action, resource: request.resource });
      }
    }
    return undefined;
  }

  private decide(role: IamRole | string, request: IamRequest): Promise<string | undefined> {
    const principal = typeof role === 'string' ? role : role.sessionArn;
    const key = JSON.stringify([principal, request.action, request.resource, request.context ?? {}]);
    let decision = this.decisions.get(key);
    if (decision === undefined) {
      decision = this.simulate(principal, typeof role === 'string' ? [] : (this.identityPolicies.get(role.logicalId) ?? []), request);
      this.decisions.set(key, decision);
    }
    return decision;
  }

  private async simulate(principal: string, policies: readonly PolicyDocument[], request: IamRequest): Promise<string | undefined> {
    const resourcePolicy = this.resourcePolicies.get(request.resource);
    const result = await runSimulation(
      {
        request: {
          principal,
          action: request.action,
          resource: { resource: request.resource, accountId: this.resolver.account },
          contextVariables: { ...CLOUD_CONTEXT, ...request.context },
        },
        identityPolicies: policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy ? { resourcePolicy } : {}),
      },
      {},
    );
    if (result.resultType === 'error') return `the IAM evaluator refused the request: ${result.errors.message}`;
    if (result.overallResult === 'Allowed') return undefined;
    const why =
      result.overallResult === 'ExplicitlyDenied'
        ? 'with an explicit deny in a policy'
        : policies.length === 0
          ? 'because no resource-based policy allows the action'
          : `because no identity-based policy allows the ${request.action} action`;
    return `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
  }

  /** Every grant of the roles' own policies (Allow statements, one per action and resource). */
  grants(): IamGrant[] {
    const grants: IamGrant[] = [];
    for (const [role, documents] of this.identityPolicies) {
      for (const statement of documents.flatMap((d) => d.Statement)) {
        if (statement.Effect !== 'Allow') continue;
        for (const action of asArray<string>(statement.Action)) {
          for (const resource of asArray<string>(statement.Resource)) grants.push({ role, sid: statement.Sid, action, resource });
        }
      }
    }
    return grants;
  }

  /** The requests allowed so far, one per role, action and resource. */
  exercised(): { role: string; action: string; resource: string }[] {
    return [...this.exercisedRequests.values()];
  }

  /** The grants that no allowed request so far needed (as decided by the evaluator with that one grant alone). */
  async unexercisedGrants(exercised = this.exercised()): Promise<IamGrant[]> {
    const unused: IamGrant[] = [];
    for (const grant of this.grants()) {
      const role = this.role(grant.role);
      const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: grant.action, Resource: grant.resource }] };
      let used = false;
      for (const request of exercised.filter((e) => e.role === grant.role)) {
        if ((await this.simulate(role.sessionArn, [policy], { ...request, context: {} })) === undefined) {
          used = true;
          break;
        }
      }
      if (!used) unused.push(grant);
    }
    return unused;
  }
}
