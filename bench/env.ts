/**
 * Imported first by the bench entry point: settings that must be in place
 * before the AWS SDK loads. Never a real AWS account: every client in the
 * bench gets an explicit local endpoint and dummy credentials.
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
process.env['AWS_REGION'] ??= 'us-east-1';
process.env['AWS_ACCESS_KEY_ID'] ??= 'local';
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'local';
