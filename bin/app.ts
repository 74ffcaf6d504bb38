#!/usr/bin/env node
/**
 * The CDK app: one environment-agnostic stack, so `cdk synth` needs no AWS
 * credentials; `cdk deploy` targets the account and region of the caller's
 * AWS profile. Options are context flags (see `CONTEXT` in lib/stack.ts).
 */
import { App } from 'aws-cdk-lib';
import { PrinterAnomalyStack } from '../lib/stack.ts';

const app = new App();
new PrinterAnomalyStack(app, 'PrinterAnomaly', {
  description: 'printer-anomaly: IoT printer telemetry threshold anomaly detection',
});
