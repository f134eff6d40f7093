import type { FastifyRequest } from 'fastify';
import type { LogLevel } from '../config.js';

/** Credentials can ride in URLs (`?auth=`, `/api/applications/{token}`); logs get a redacted copy. */
export function redactPath(url: string): string {
  return url
    .replace(/([?&](?:auth|token|access_token)=)[^&#]*/gi, '$1[redacted]')
    .replace(/^(\/api\/applications\/)[^/?#]+/, '$1[redacted]');
}

export function loggerOptions(level: LogLevel) {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.password_conf', '*.current_password', '*.token'],
      censor: '[redacted]',
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactPath(request.url),
        remoteAddress: request.ip,
      }),
    },
  };
}
