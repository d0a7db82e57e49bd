import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

// Logs identify a user by numeric id only. Request logging records method, route
// pattern, status and timing, never the URL's query string (tokens travel there),
// headers, cookies or bodies. Redaction is a second line of defence for any object a
// developer logs by mistake.
const REDACT = [
  'email',
  'phone',
  'password',
  'token',
  'sid',
  'sessionId',
  'body',
  'cookie',
  'secret',
  '*.email',
  '*.phone',
  '*.password',
  '*.token',
  '*.sid',
  '*.sessionId',
  '*.body',
  '*.cookie',
  '*.secret',
  'req.headers',
  'req.url',
  'req.query',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: undefined,
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
