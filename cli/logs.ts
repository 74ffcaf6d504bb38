/**
 * `npm run logs`: the detector function's logs, one readable line per record:
 * from its CloudWatch Logs group when the stack is deployed, or from the
 * local twin's log file.
 */
import { CliError, localTwin, readStackOutputs, runCli, UsageError } from './kit.ts';
import { CloudWatchLogsClient, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { defaultLogGroupName } from '../contract/index.ts';
import { describeAwsError } from './aws-errors.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_LOG_FILE } from '../twin/paths.ts';
import {
  defaultLocalLogFile,
  LogPrinter,
  type LogView,
  nothingShown,
  parseSince,
  printerFilterPattern,
  readCloudWatchLogs,
  readLocalLog,
} from './log-sources.ts';

const spec = {
  usage: 'npm run logs -- [--follow] [--printer ID] [--since 10m] [--local | --log-file FILE]',
  summary:
    "Shows the detector function's log: its CloudWatch Logs group (LogGroupName from cdk-outputs.json) " +
    "or, when nothing is deployed or with --local, the local twin's log file. One line per record: time, " +
    'level, printer, message, details, request id. Metrics and START/END/REPORT lines are hidden unless --all.',
  options: {
    follow: { type: 'boolean', short: 'f' },
    printer: { type: 'string', short: 'p' },
    since: { type: 'string' },
    local: { type: 'boolean' },
    'log-file': { type: 'string' },
    'log-group': { type: 'string' },
    region: { type: 'string' },
    all: { type: 'boolean' },
    raw: { type: 'boolean' },
  },
  help: {
    follow: 'keep printing new records until Ctrl-C',
    printer: 'only records about this printer (CloudWatch: filter pattern { $.printerId = "ID" })',
    since: 'only records from this long ago (30s, 10m, 2h, 1d) or this ISO time (CloudWatch default: 10m)',
    local: `read the running local twin's log file (else the newest of ${DEFAULT_LOG_FILE} and .local/detector.log)`,
    'log-file': 'read this twin log file',
    'log-group': 'read this CloudWatch Logs group (default: LogGroupName from cdk-outputs.json)',
    region: 'AWS region (default: Region from cdk-outputs.json, then the SDK default)',
    all: 'also show metrics (EMF) and Lambda platform lines',
    raw: 'print the lines as logged (JSON), not the readable view',
  },
} as const;

await runCli(spec, async (values) => {
  if (values.local && values['log-file'] !== undefined) throw new UsageError('--local and --log-file cannot be used together');
  if ((values.local || values['log-file'] !== undefined) && values['log-group'] !== undefined) {
    throw new UsageError('--log-group reads CloudWatch: it cannot be used with --local or --log-file');
  }
  if (values.printer !== undefined && values.printer.length === 0) throw new UsageError('--printer must not be empty');
  const sinceMs = values.since !== undefined ? parseSince(values.since) : undefined;
  const outputs = values.local || values['log-file'] !== undefined ? undefined : readStackOutputs();
  const logGroupName =
    values['log-group'] ?? outputs?.LogGroupName ?? (outputs?.FunctionName ? defaultLogGroupName(outputs.FunctionName) : undefined);

  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const view: LogView = {
    ...(values.printer !== undefined ? { printerId: values.printer } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    all: values.all === true,
    raw: values.raw === true,
    color: process.stdout.isTTY === true,
  };
  const printer = new LogPrinter(view, (line) => process.stdout.write(`${line}\n`));
  /** Said on stderr, so that stdout stays the log's lines alone. */
  const sayIfNothingShown = (source: string) => {
    const note = nothingShown(printer, source, view);
    if (note !== undefined) process.stderr.write(`npm run logs: ${note}\n`);
  };

  if (logGroupName !== undefined) {
    const region = values.region ?? outputs?.Region;
    const client = new CloudWatchLogsClient(region ? { region } : {});
    try {
      await readCloudWatchLogs(
        client,
        {
          logGroupName,
          startTime: sinceMs ?? Date.now() - 10 * 60_000,
          ...(values.printer !== undefined ? { filterPattern: printerFilterPattern(values.printer) } : {}),
        },
        printer,
        { follow: values.follow === true, signal: controller.signal },
      );
      sayIfNothingShown(`log group ${logGroupName}`);
    } catch (error) {
      throw describeAwsError(error, {
        what: `log group ${logGroupName}`,
        where: `AWS ${region ?? '(default region)'}`,
        notFound: ResourceNotFoundException,
        withoutCredentials: "use --local for the twin's log",
      });
    } finally {
      client.destroy();
    }
    return 0;
  }

  const file = values['log-file'] !== undefined ? resolve(values['log-file']) : defaultLocalLogFile(process.cwd(), localTwin());
  if (file === undefined || (!values.follow && !existsSync(file))) {
    throw new CliError(
      `no log file ${file ?? `at ${DEFAULT_LOG_FILE}`}: start the local twin (npm run local, npm start), or deploy the stack for CloudWatch logs`,
    );
  }
  await readLocalLog(file, printer, { follow: values.follow === true, signal: controller.signal });
  if (!values.follow) sayIfNothingShown(`the twin's log ${file}`);
  return 0;
});
