import { createHmac } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { RiffError } from '../../platform/errors.js';
import type { ApplicationFrame } from '../../platform/gateway/protocol.js';

/** What a webhook receiver gets: the live frame, with an id to spot a retried delivery and when it happened. */
export interface WebhookEvent extends ApplicationFrame {
  id: string;
  created_at: string;
}

/** `sha256=<hex HMAC-SHA256 of the exact body>`, which the receiver recomputes with its secret. */
export const webhookSignature = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

// Well inside the scheduler's lease, so a receiver that hangs cannot get the job run twice.
const TIMEOUT_MS = 5_000;

/**
 * Addresses a webhook must not reach unless private targets are allowed: Riff would otherwise
 * POST, on anyone's behalf, to its own loopback services, the internal network or the cloud
 * metadata endpoint (server-side request forgery).
 */
const privateRanges = new net.BlockList();
for (const [prefix, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  privateRanges.addSubnet(prefix, bits, 'ipv4');
}
// An IPv4 address written as IPv6 (`[::ffff:127.0.0.1]`) is checked against the IPv4 ranges: BlockList maps it.
for (const [prefix, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) {
  privateRanges.addSubnet(prefix, bits, 'ipv6');
}

const isPrivateAddress = (address: string): boolean => privateRanges.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');

const refusedTarget = (why: string) => new RiffError('webhook_target_refused', `webhook_url is refused: ${why}`, [{ field: 'webhook_url', message: why }]);

/** The host of a URL as an IP address, or undefined for a name (`[::1]` → `::1`). */
const literalAddress = (url: URL): string | undefined => {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return net.isIP(host) ? host : undefined;
};

/**
 * Checks a webhook URL when it is set: http(s) only, and no private IP address written in it.
 * Host names are checked when delivering, against what they resolve to then.
 */
export function assertWebhookTarget(value: string, allowPrivate: boolean): void {
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refusedTarget(`only http and https URLs are delivered to, not ${url.protocol}`);
  const address = literalAddress(url);
  if (!allowPrivate && address !== undefined && isPrivateAddress(address)) throw refusedTarget(`${address} is a loopback, private, link-local or metadata address`);
}

/**
 * Resolves like the system does, then refuses private addresses. It runs on the connection
 * itself, so a name that resolves to a public address when checked and to a private one when
 * connecting (DNS rebinding) is still refused.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, options, (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => {
    if (error) return callback(error, '', 0);
    const addresses = typeof address === 'string' ? [address] : address.map((entry) => entry.address);
    const refused = addresses.find(isPrivateAddress);
    if (refused !== undefined) return callback(refusedTarget(`${hostname} resolves to ${refused}, a loopback, private, link-local or metadata address`), '', 0);
    (callback as (error: null, address: string | dns.LookupAddress[], family?: number) => void)(null, address, family);
  });
};

/** POSTs one event; anything but a 2xx answer (or a refused target) throws, so the scheduler tries again later. */
export async function postWebhook(target: string, secret: string, event: WebhookEvent, allowPrivate: boolean): Promise<void> {
  assertWebhookTarget(target, allowPrivate);
  const url = new URL(target);
  const body = JSON.stringify(event);
  const status = await new Promise<number>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-riff-event': event.type,
          'x-riff-delivery': event.id,
          'x-riff-signature': webhookSignature(secret, body),
        },
        // Redirects are not followed: the signature vouches for this URL only, so a redirect is a failed delivery.
        ...(allowPrivate ? {} : { lookup: publicOnlyLookup }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
  if (status < 200 || status >= 300) throw new Error(`the webhook receiver answered ${status}`);
}
