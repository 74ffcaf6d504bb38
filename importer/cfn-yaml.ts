/**
 * CloudFormation YAML: the `yaml` package with the short-form intrinsics
 * (`!Ref X`, `!Sub "..."`, `!GetAtt A.B`, ...) read as their long form
 * (`{Ref: X}`, `{"Fn::Sub": "..."}`), so a template reads the same in YAML
 * and in JSON. Pure.
 */
import { parse, type Tags, type YAMLMap, type YAMLSeq } from 'yaml';

const FUNCTIONS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'Transform',
] as const;

/** `Ref` and `Condition` keep their name; the others are `Fn::Name`. */
function longName(short: string): string {
  return short === 'Ref' || short === 'Condition' ? short : `Fn::${short}`;
}

function tagsFor(short: string): Tags {
  const key = longName(short);
  return [
    {
      tag: `!${short}`,
      resolve: (text: string) => ({ [key]: short === 'GetAtt' ? text.split(/\.(.*)/s, 2) : text }),
    },
    { tag: `!${short}`, collection: 'seq', resolve: (seq) => ({ [key]: (seq as YAMLSeq).toJSON() }) },
    { tag: `!${short}`, collection: 'map', resolve: (map) => ({ [key]: (map as YAMLMap).toJSON() }) },
  ];
}

const CFN_TAGS: Tags = [...tagsFor('Ref'), ...tagsFor('Condition'), ...FUNCTIONS.flatMap(tagsFor)];

/** Parses YAML (or JSON, which is YAML) with the CloudFormation tags; throws `YAMLParseError` on bad text. */
export function parseTemplateText(text: string): unknown {
  return parse(text, { customTags: CFN_TAGS, prettyErrors: false });
}
