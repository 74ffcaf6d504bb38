/** The import as people read it, and as scripts read it (`--json`). Pure. */
import type { ReportLine } from './mapping.ts';
import type { ImportPlan } from './plan.ts';

/** The JSON the command prints with `--json`. */
export function planJson(plan: ImportPlan, problems: readonly string[]) {
  return { profiles: plan.profiles, startDisabled: plan.startDisabled, report: plan.lines, problems };
}

/** One report line: `  approximate    severity: 3 -> minor (...)`. */
export function reportLine(line: ReportLine): string {
  return `    ${line.status.padEnd(13)} ${line.where}: ${line.text}`;
}

export function renderPlan(plan: ImportPlan, problems: readonly string[]): string {
  const out: string[] = [`Profiles (${plan.profiles.length}):`];
  for (const profile of plan.profiles) out.push(`  ${JSON.stringify(profile)}`);
  if (plan.profiles.length === 0) out.push('  none');
  if (plan.startDisabled.length > 0) out.push(`Start DISABLED when created: ${plan.startDisabled.join(', ')}`);
  out.push('Mapping report:');
  const models = [...new Set(plan.lines.map((line) => line.model))];
  for (const model of models) {
    out.push(`  ${model}`);
    for (const line of plan.lines.filter((l) => l.model === model)) out.push(reportLine(line));
  }
  for (const problem of problems) out.push(`not read: ${problem}`);
  return out.join('\n');
}
