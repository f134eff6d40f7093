import { iso } from '../../platform/clock.js';
import type { AppChatRow, ApplicationRow, AppMessageRow } from '../../platform/storage/tables.js';
import type { AppMessageView, ApplicationView, ChatView } from './schema.js';

/**
 * The public JSON of the Apps API. Internal row ids never leave this module: an application
 * is known by its token, chats and messages by their numbers.
 */
export function presentApplication(row: ApplicationRow, token: string | undefined): ApplicationView {
  return {
    type: 'application',
    ...(token !== undefined ? { application_token: token } : {}),
    application_token_hint: row.token_hint,
    application_name: row.name,
    chats_count: row.chats_count,
    webhook_url: row.webhook_url,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function presentChat(row: AppChatRow, token: string): ChatView {
  return {
    type: 'chat',
    application_token: token,
    chat_number: row.number,
    chat_name: row.name,
    messages_count: row.messages_count,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function presentMessage(row: AppMessageRow, chatNumber: number, token: string): AppMessageView {
  return {
    type: 'message',
    application_token: token,
    chat_number: chatNumber,
    message_number: row.number,
    message_content: row.content,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
