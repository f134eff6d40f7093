import { createHmac } from 'node:crypto';
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

/** POSTs one event; anything but a 2xx answer throws, so the scheduler tries again later. */
export async function postWebhook(url: string, secret: string, event: WebhookEvent): Promise<void> {
  const body = JSON.stringify(event);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-riff-event': event.type, 'x-riff-delivery': event.id, 'x-riff-signature': webhookSignature(secret, body) },
    body,
    // The signature vouches for this URL only: a redirect is a failed delivery, not a new destination.
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`the webhook receiver answered ${response.status}`);
}
