import { topics, type Bus } from '../../platform/bus/index.js';
import { iso, type Clock } from '../../platform/clock.js';
import { RiffError } from '../../platform/errors.js';
import type { ApplicationFrame } from '../../platform/gateway/protocol.js';
import type { Identity } from '../../platform/http/auth.js';
import { hashSecret, secretToken, type IdGenerator } from '../../platform/ids.js';
import type { Scheduler } from '../../platform/jobs/scheduler.js';
import { afterCommit, inTransaction, type Database } from '../../platform/storage/database.js';
import type { AppChatRow, ApplicationRow, AppMessageRow } from '../../platform/storage/tables.js';
import { presentApplication, presentChat, presentMessage } from './present.js';
import type { AppsRepository, NumberPage } from './repository.js';
import type {
  AppMessageView,
  ApplicationView,
  ChatView,
  CreateApplicationInput,
  IssuedApplicationView,
  NumberCursorInput,
  SearchHitView,
  UpdateApplicationInput,
} from './schema.js';
import { assertWebhookTarget, postWebhook, type WebhookEvent } from './webhooks.js';

export interface AppsDeps {
  clock: Clock;
  ids: IdGenerator;
  bus: Bus;
  jobs: Pick<Scheduler, 'schedule'>;
  repo: AppsRepository;
  /** Lets webhooks reach loopback and private addresses (a receiver on the same host or network). */
  allowPrivateWebhooks: boolean;
}

/** The scheduler's job kind that delivers one event to an application's webhook. */
export const WEBHOOK_DELIVERY = 'apps.webhook';

interface WebhookJob {
  application_id: string;
  event: WebhookEvent;
}

const DEFAULT_PAGE = 50;
const HINT_LENGTH = 4;

// Never repeats the token: it is a credential, and error messages end up in logs and screenshots.
const unknownApplication = () => new RiffError('not_found', 'No application has this token');

const cursorOf = (cursor: NumberCursorInput) => ({ after: cursor.after ?? 0, limit: cursor.limit ?? DEFAULT_PAGE });

/** A fresh credential pair: the token (kept only as its hash) and the webhook secret. */
function issue() {
  const token = secretToken();
  return { token, secret: secretToken(), columns: { token_hash: hashSecret(token), token_hint: token.slice(-HINT_LENGTH) } };
}

export function appsService(deps: AppsDeps) {
  const { clock, ids, bus, jobs, repo, allowPrivateWebhooks } = deps;

  async function applicationOf(db: Database, token: string): Promise<ApplicationRow> {
    const application = await repo.findApplication(db, hashSecret(token));
    if (!application) throw unknownApplication();
    return application;
  }

  async function chatOf(db: Database, application: ApplicationRow, number: number): Promise<AppChatRow> {
    const chat = await repo.findChat(db, application.id, number);
    if (!chat) throw new RiffError('not_found', `This application has no chat ${number}`);
    return chat;
  }

  async function messageOf(db: Database, chat: AppChatRow, number: number): Promise<AppMessageRow> {
    const message = await repo.findMessage(db, chat.id, number);
    if (!message) throw new RiffError('not_found', `Chat ${chat.number} has no message ${number}`);
    return message;
  }

  async function located(db: Database, token: string, chatNumber: number) {
    const application = await applicationOf(db, token);
    return { application, chat: await chatOf(db, application, chatNumber) };
  }

  const issued = (row: ApplicationRow, token: string): IssuedApplicationView => ({
    ...presentApplication(row, token),
    application_token: token,
    webhook_secret: row.webhook_secret,
  });

  /**
   * A message was created or edited: sockets following the chat hear of it after commit, and
   * the webhook (if any) is a job in the same transaction, delivered and retried by the scheduler.
   */
  async function publishChange(trx: Database, application: ApplicationRow, type: ApplicationFrame['type'], chat: AppChatRow, message: AppMessageRow): Promise<void> {
    const frame: ApplicationFrame = { type, data: { chat_number: chat.number, message_number: message.number, message_content: message.content } };
    afterCommit(trx, () => bus.publish(topics.application(application.id), { kind: 'application', application_id: application.id, frame }));
    if (application.webhook_url === null) return;
    const id = ids.next();
    const job: WebhookJob = { application_id: application.id, event: { id, ...frame, created_at: iso(message.updated_at) } };
    await jobs.schedule(trx, { kind: WEBHOOK_DELIVERY, key: `app-webhook:${id}`, runAt: clock.now(), payload: job });
  }

  return {
    /** No account needed; with a session, the application is that user's and shows in their list. */
    async create(db: Database, owner: Identity | null, input: CreateApplicationInput): Promise<IssuedApplicationView> {
      if (input.webhook_url) assertWebhookTarget(input.webhook_url, allowPrivateWebhooks);
      const { token, secret, columns } = issue();
      const now = clock.now();
      const row: ApplicationRow = {
        id: ids.next(),
        ...columns,
        name: input.application_name,
        owner_id: owner?.userId ?? null,
        webhook_url: input.webhook_url ?? null,
        webhook_secret: secret,
        chats_count: 0,
        created_at: now,
        updated_at: now,
      };
      await repo.insertApplication(db, row);
      return issued(row, token);
    },

    /** The caller's own applications: their tokens were shown once and are not kept, so only hints are listed. */
    async owned(db: Database, me: Identity, cursor: NumberCursorInput): Promise<NumberPage<ApplicationView>> {
      const page = await repo.ownedBy(db, me.userId, cursorOf(cursor));
      return { items: page.items.map((row) => presentApplication(row, undefined)), more: page.more };
    },

    get: async (db: Database, token: string): Promise<ApplicationView> => presentApplication(await applicationOf(db, token), token),

    async update(db: Database, token: string, input: UpdateApplicationInput): Promise<ApplicationView> {
      if (input.application_name === undefined && input.webhook_url === undefined) {
        throw new RiffError('validation_failed', 'Say what to change: application_name or webhook_url', [{ field: 'body', message: 'must have application_name or webhook_url' }]);
      }
      if (input.webhook_url) assertWebhookTarget(input.webhook_url, allowPrivateWebhooks);
      const updated = await repo.updateApplication(db, hashSecret(token), {
        ...(input.application_name !== undefined ? { name: input.application_name } : {}),
        ...(input.webhook_url !== undefined ? { webhook_url: input.webhook_url } : {}),
        updated_at: clock.now(),
      });
      if (!updated) throw unknownApplication();
      return presentApplication(updated, token);
    },

    /** A new token and webhook secret; the old token stops working at once, here and on every node's sockets. */
    async rotate(db: Database, token: string): Promise<IssuedApplicationView> {
      const next = issue();
      return inTransaction(db, async (trx) => {
        const updated = await repo.updateApplication(trx, hashSecret(token), { ...next.columns, webhook_secret: next.secret, updated_at: clock.now() });
        if (!updated) throw unknownApplication();
        afterCommit(trx, () => bus.publish(topics.application(updated.id), { kind: 'application_rotated', application_id: updated.id }));
        return issued(updated, next.token);
      });
    },

    /** Numbered 1, 2, 3… per application, in this request, under the application's row lock. */
    async createChat(db: Database, token: string, name: string): Promise<ChatView> {
      return inTransaction(db, async (trx) => {
        const application = await applicationOf(trx, token);
        const number = await repo.nextChatNumber(trx, application.id);
        const now = clock.now();
        const chat: AppChatRow = { id: ids.next(), application_id: application.id, number, name, messages_count: 0, created_at: now, updated_at: now };
        await repo.insertChat(trx, chat);
        return presentChat(chat, token);
      });
    },

    async chats(db: Database, token: string, cursor: NumberCursorInput): Promise<NumberPage<ChatView>> {
      const application = await applicationOf(db, token);
      const page = await repo.chats(db, application.id, cursorOf(cursor));
      return { items: page.items.map((row) => presentChat(row, token)), more: page.more };
    },

    async chat(db: Database, token: string, chatNumber: number): Promise<ChatView> {
      const { chat } = await located(db, token, chatNumber);
      return presentChat(chat, token);
    },

    async renameChat(db: Database, token: string, chatNumber: number, name: string): Promise<ChatView> {
      const { chat } = await located(db, token, chatNumber);
      return presentChat(await repo.renameChat(db, chat.id, name, clock.now()), token);
    },

    /** Numbered 1, 2, 3… per chat, in this request, under the chat's row lock. */
    async postMessage(db: Database, token: string, chatNumber: number, content: string): Promise<AppMessageView> {
      return inTransaction(db, async (trx) => {
        const { application, chat } = await located(trx, token, chatNumber);
        const number = await repo.nextMessageNumber(trx, chat.id);
        const now = clock.now();
        const message: AppMessageRow = { id: ids.next(), chat_id: chat.id, number, content, created_at: now, updated_at: now };
        await repo.insertMessage(trx, message);
        await publishChange(trx, application, 'app.message.created', chat, message);
        return presentMessage(message, chat.number, token);
      });
    },

    async messages(db: Database, token: string, chatNumber: number, cursor: NumberCursorInput): Promise<NumberPage<AppMessageView>> {
      const { chat } = await located(db, token, chatNumber);
      const page = await repo.messages(db, chat.id, cursorOf(cursor));
      return { items: page.items.map((row) => presentMessage(row, chat.number, token)), more: page.more };
    },

    async message(db: Database, token: string, chatNumber: number, messageNumber: number): Promise<AppMessageView> {
      const { chat } = await located(db, token, chatNumber);
      return presentMessage(await messageOf(db, chat, messageNumber), chat.number, token);
    },

    async editMessage(db: Database, token: string, chatNumber: number, messageNumber: number, content: string): Promise<AppMessageView> {
      return inTransaction(db, async (trx) => {
        const { application, chat } = await located(trx, token, chatNumber);
        const message = await messageOf(trx, chat, messageNumber);
        const edited = await repo.editMessage(trx, message.id, content, clock.now());
        await publishChange(trx, application, 'app.message.updated', chat, edited);
        return presentMessage(edited, chat.number, token);
      });
    },

    /** Partial, case-insensitive matches in one chat, by number. */
    async search(db: Database, token: string, chatNumber: number, q: string, cursor: NumberCursorInput): Promise<NumberPage<SearchHitView>> {
      const { chat } = await located(db, token, chatNumber);
      return repo.search(db, chat.id, q, cursorOf(cursor));
    },

    /** An application socket's credential check. */
    async authenticate(db: Database, token: string): Promise<{ id: string; application_name: string; chats_count: number }> {
      const application = await applicationOf(db, token);
      return { id: application.id, application_name: application.name, chats_count: application.chats_count };
    },

    /** How many messages a chat has, for a socket that starts following it. */
    async chatHead(db: Database, applicationId: string, chatNumber: number): Promise<number> {
      const chat = await repo.findChat(db, applicationId, chatNumber);
      if (!chat) throw new RiffError('not_found', `This application has no chat ${chatNumber}`);
      return chat.messages_count;
    },

    /** Runs one webhook job; an application that has since dropped its webhook (or is gone) gets nothing. */
    async deliverWebhook(db: Database, payload: unknown): Promise<void> {
      const { application_id, event } = payload as WebhookJob;
      const application = await repo.findApplicationById(db, application_id);
      if (!application?.webhook_url) return;
      await postWebhook(application.webhook_url, application.webhook_secret, event, allowPrivateWebhooks);
    },
  };
}

export type AppsService = ReturnType<typeof appsService>;
