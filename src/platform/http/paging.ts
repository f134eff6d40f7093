import type { FastifyRequest } from 'fastify';

/** `Link: <…>; rel="next"` for the same request with the cursor moved. */
export function nextLink(request: FastifyRequest, cursor: Record<string, string>): string {
  const url = new URL(request.url, 'http://riff.invalid');
  url.searchParams.delete('before');
  url.searchParams.delete('after');
  for (const [name, value] of Object.entries(cursor)) url.searchParams.set(name, value);
  return `<${url.pathname}${url.search}>; rel="next"`;
}
