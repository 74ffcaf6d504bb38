/**
 * IAM on the twin, for the tests: a template with one grant taken away (the
 * scenario that drives every path is the product's, twin/iam-scenario.ts).
 */
import type { CloudTemplate } from '../../twin/cloud-template.ts';

/** `template` with `action` taken out of every statement of the role of the function (or role) at `path`. */
export function withoutAction(template: CloudTemplate, rolePath: string, action: string): CloudTemplate {
  const copy = structuredClone(template) as { -readonly [K in keyof CloudTemplate]: CloudTemplate[K] };
  const at = copy.resources[copy.paths[rolePath]!]!;
  const roleId =
    at.Type === 'AWS::IAM::Role' ? copy.paths[rolePath]! : (at.Properties!['Role'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
  let removed = 0;
  for (const resource of Object.values(copy.resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    if (!(resource.Properties!['Roles'] as { Ref: string }[]).some((r) => r.Ref === roleId)) continue;
    const document = resource.Properties!['PolicyDocument'] as { Statement: { Action: string | string[] }[] };
    for (const statement of document.Statement) {
      const actions = [statement.Action].flat();
      if (actions.includes(action)) {
        removed++;
        statement.Action = actions.filter((a) => a !== action);
      }
    }
    document.Statement = document.Statement.filter((s) => [s.Action].flat().length > 0);
  }
  if (removed === 0) throw new Error(`no statement of ${rolePath}'s role grants ${action}`);
  return copy;
}
