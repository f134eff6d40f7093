/**
 * The typed Riff client: one method per route, used by the tests, the CLI, benchmarks
 * and the web app. It holds the session token it was given or that logging in returned.
 */
import type {
  ChangePasswordInput,
  DirectoryFilter,
  GuestView,
  PasswordChangedView,
  LogInInput,
  ProfilePatchInput,
  SignedInView,
  SignUpInput,
  UserView,
} from '../modules/accounts/schema.js';

import type {
  AnnouncementView,
  ChannelView,
  CreateChannelInput,
  HistoryCursor,
  HistoryItemView,
  MemberView,
  MessageView,
  PostMessageInput,
  UpdateChannelInput,
} from '../modules/channels/schema.js';

import type {
  AlertView,
  AttendeesView,
  CalendarFeedView,
  CreateEventInput,
  CreatePollInput,
  DiscoveryFilter,
  EventView,
  PollView,
  RsvpChoice,
  RsvpView,
  UpdateEventInput,
} from '../modules/meetups/schema.js';

import type {
  AlbumFilter,
  AlbumView,
  CreateAlbumInput,
  CreateReviewInput,
  CreateRoomInput,
  RatingView,
  ReviewPage,
  ReviewView,
  RoomView,
  UpdateReviewInput,
} from '../modules/reviews/schema.js';

import type {
  AppMessageView,
  ApplicationView,
  ChatView,
  CreateApplicationInput,
  IssuedApplicationView,
  NumberCursorInput,
  SearchHitView,
  UpdateApplicationInput,
} from '../modules/apps/schema.js';

import type { ConversationMemberView, DirectInput, PinView } from '../modules/channels/schema.js';
import type { MarkReadInput, NotificationsPage, NotificationView, SettingsInput, SettingsView } from '../modules/notifications/schema.js';
import type { BanInput, BanView, MatchView, QueueStateView, ReportInput, ReportReceiptView, ReportsCursor, ReportView, TalkModeValue } from '../modules/matching/schema.js';

export type { DirectoryFilter, GuestView, LogInInput, ProfilePatchInput, SignedInView, SignUpInput, UserView };
export type { BanInput, BanView, ConversationMemberView, MatchView, QueueStateView, ReportInput, ReportReceiptView, ReportsCursor, ReportView, TalkModeValue };
export type { MarkReadInput, NotificationsPage, NotificationView, SettingsInput, SettingsView };
export type { AnnouncementView, ChannelView, CreateChannelInput, DirectInput, HistoryCursor, PinView, HistoryItemView, MemberView, MessageView, PostMessageInput, UpdateChannelInput };
export type { AppMessageView, ApplicationView, ChatView, CreateApplicationInput, IssuedApplicationView, NumberCursorInput, SearchHitView, UpdateApplicationInput };
export type { AlertView, AttendeesView, CalendarFeedView, CreateEventInput, CreatePollInput, DiscoveryFilter, EventView, PollView, RsvpChoice, RsvpView, UpdateEventInput };
export type { AlbumFilter, AlbumView, CreateAlbumInput, CreateReviewInput, CreateRoomInput, RatingView, ReviewPage, ReviewView, RoomView, UpdateReviewInput };

export interface Reactions {
  message_id: string;
  reactions: MessageView['reactions'];
}

export interface ReadMarker {
  channel_id: string;
  last_read_seq: number;
  unread_count: number;
}

export interface ErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>[];
}

/** A non-2xx answer, with the envelope's code, message and details. */
export class RiffApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Headers,
  ) {
    super(`${status} ${body.code}: ${body.message}`);
  }
  get code(): string {
    return this.body.code;
  }
}

export interface Page<T> {
  items: T[];
  /** The path of the next page (from the `Link` header), if there is one. */
  next: string | undefined;
}

type Query = Record<string, string | number | undefined>;

const appPath = (token: string) => `/api/applications/${encodeURIComponent(token)}`;
const chatPath = (token: string, chatNumber: number) => `${appPath(token)}/chats/${chatNumber}`;

export class RiffClient {
  constructor(
    readonly baseUrl: string,
    public token?: string,
  ) {}

  /** Another client on the same server, with another identity. */
  as(token: string | undefined): RiffClient {
    return new RiffClient(this.baseUrl, token);
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<{ data: T; headers: Headers; status: number }> {
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = (parsed as { error?: ErrorBody } | undefined)?.error ?? { code: 'http_error', message: text, details: [] };
      throw new RiffApiError(response.status, error, response.headers);
    }
    return { data: parsed as T, headers: response.headers, status: response.status };
  }

  /** One page of a list; pass a page's `next` to get the one after it. */
  async page<T>(path: string, query?: Query): Promise<Page<T>> {
    const { data, headers } = await this.request<T[]>('GET', path, undefined, query);
    const next = headers.get('link')?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
    return { items: data, next };
  }

  // Accounts

  async signUp(input: SignUpInput): Promise<SignedInView> {
    const { data } = await this.request<SignedInView>('POST', '/v1/users', input);
    this.token = data.token;
    return data;
  }

  async logIn(input: LogInInput): Promise<SignedInView> {
    const { data } = await this.request<SignedInView>('POST', '/v1/sessions', input);
    this.token = data.token;
    return data;
  }

  async logOut(): Promise<void> {
    await this.request('DELETE', '/v1/sessions/mine');
  }

  async logOutEverywhere(): Promise<number> {
    const { data } = await this.request<{ sessions_ended: number }>('DELETE', '/v1/sessions');
    return data.sessions_ended;
  }

  async guest(): Promise<GuestView> {
    const { data } = await this.request<GuestView>('POST', '/v1/auth/anonymous', {});
    this.token = data.token;
    return data;
  }

  async me(): Promise<UserView> {
    return (await this.request<UserView>('GET', '/v1/users/me')).data;
  }

  async user(id: string): Promise<UserView> {
    return (await this.request<UserView>('GET', `/v1/users/${encodeURIComponent(id)}`)).data;
  }

  async updateProfile(patch: ProfilePatchInput): Promise<UserView> {
    return (await this.request<UserView>('PATCH', '/v1/users/me', patch)).data;
  }

  /** Ends my other sessions; this client carries on with the new token. */
  async changePassword(input: ChangePasswordInput): Promise<PasswordChangedView> {
    const { data } = await this.request<PasswordChangedView>('PUT', '/v1/users/me/password', input);
    this.token = data.token;
    return data;
  }

  async deleteAccount(password: string): Promise<void> {
    await this.request('DELETE', '/v1/users/me', { password });
    this.token = undefined;
  }

  musicians(filter: DirectoryFilter = {}): Promise<Page<UserView>> {
    return this.page<UserView>('/v1/users', filter);
  }

  // Channels and messages

  async channels(): Promise<ChannelView[]> {
    return (await this.request<ChannelView[]>('GET', '/v1/channels')).data;
  }

  async publicChannels(q?: string): Promise<ChannelView[]> {
    return (await this.request<ChannelView[]>('GET', '/v1/channels', undefined, { scope: 'public', q })).data;
  }

  async createChannel(input: CreateChannelInput): Promise<ChannelView> {
    return (await this.request<ChannelView>('POST', '/v1/channels', input)).data;
  }

  async updateChannel(id: string, input: UpdateChannelInput): Promise<ChannelView> {
    return (await this.request<ChannelView>('PATCH', `/v1/channels/${id}`, input)).data;
  }

  async deleteChannel(id: string): Promise<ChannelView> {
    return (await this.request<ChannelView>('DELETE', `/v1/channels/${id}`)).data;
  }

  history(id: string, cursor: HistoryCursor = {}): Promise<Page<HistoryItemView>> {
    return this.page<HistoryItemView>(`/v1/channels/${id}`, cursor);
  }

  /** Posts a message; `created` is false when a retry with the same nonce returned the original. */
  async post(id: string, input: PostMessageInput): Promise<MessageView & { created: boolean }> {
    const { data, status } = await this.request<MessageView>('POST', `/v1/channels/${id}`, input);
    return { ...data, created: status === 201 };
  }

  async members(id: string): Promise<MemberView[]> {
    return (await this.request<MemberView[]>('GET', `/v1/channels/${id}/members`)).data;
  }

  async addMember(id: string, userId: string): Promise<MemberView[]> {
    return (await this.request<MemberView[]>('POST', `/v1/channels/${id}/members`, { user_id: userId })).data;
  }

  async removeMember(id: string, userId: string): Promise<void> {
    await this.request('DELETE', `/v1/channels/${id}/members`, { user_id: userId });
  }

  async markRead(id: string, seq: number): Promise<ReadMarker> {
    return (await this.request<ReadMarker>('POST', `/v1/channels/${id}/read`, { seq })).data;
  }

  searchChannel(id: string, q: string, cursor: { before?: string; limit?: number } = {}): Promise<Page<MessageView>> {
    return this.page<MessageView>(`/v1/channels/${id}/search`, { q, ...cursor });
  }

  search(q: string, cursor: { before?: string; limit?: number } = {}): Promise<Page<MessageView>> {
    return this.page<MessageView>('/v1/search', { q, ...cursor });
  }

  async editMessage(id: string, body: string): Promise<MessageView> {
    return (await this.request<MessageView>('PATCH', `/v1/messages/${id}`, { body })).data;
  }

  async deleteMessage(id: string): Promise<void> {
    await this.request('DELETE', `/v1/messages/${id}`);
  }

  /** Gets or creates the DM of exactly me and these people; `created` says which. */
  async openDm(input: DirectInput): Promise<ChannelView & { created: boolean }> {
    const { data, status } = await this.request<ChannelView>('POST', '/v1/dms', input);
    return { ...data, created: status === 201 };
  }

  async block(userId: string): Promise<{ user_id: string; blocked: boolean }> {
    return (await this.request<{ user_id: string; blocked: boolean }>('PUT', `/v1/users/${userId}/block`)).data;
  }

  async unblock(userId: string): Promise<{ user_id: string; blocked: boolean }> {
    return (await this.request<{ user_id: string; blocked: boolean }>('DELETE', `/v1/users/${userId}/block`)).data;
  }

  async blocks(): Promise<UserView[]> {
    return (await this.request<UserView[]>('GET', '/v1/users/me/blocks')).data;
  }

  async pin(channelId: string, messageId: string): Promise<{ channel_id: string; message_id: string; pinned: boolean }> {
    return (await this.request<{ channel_id: string; message_id: string; pinned: boolean }>('PUT', `/v1/channels/${channelId}/pins/${messageId}`)).data;
  }

  async unpin(channelId: string, messageId: string): Promise<{ channel_id: string; message_id: string; pinned: boolean }> {
    return (await this.request<{ channel_id: string; message_id: string; pinned: boolean }>('DELETE', `/v1/channels/${channelId}/pins/${messageId}`)).data;
  }

  async pins(channelId: string): Promise<PinView[]> {
    return (await this.request<PinView[]>('GET', `/v1/channels/${channelId}/pins`)).data;
  }

  /** The thread under a message, oldest first. */
  replies(messageId: string, cursor: { after?: number; limit?: number } = {}): Promise<Page<MessageView>> {
    return this.page<MessageView>(`/v1/messages/${messageId}/replies`, cursor);
  }

  /** My notifications, unread first; `next` pages on. */
  notifications(query: NotificationsPage = {}): Promise<Page<NotificationView>> {
    return this.page<NotificationView>('/v1/notifications', { ...query, unread: query.unread === undefined ? undefined : String(query.unread) });
  }

  async markNotificationsRead(input: MarkReadInput): Promise<{ unread_count: number }> {
    return (await this.request<{ unread_count: number }>('POST', '/v1/notifications/read', input)).data;
  }

  async notificationSettings(channelId: string): Promise<SettingsView> {
    return (await this.request<SettingsView>('GET', `/v1/channels/${channelId}/notifications`)).data;
  }

  async setNotificationSettings(channelId: string, input: SettingsInput): Promise<SettingsView> {
    return (await this.request<SettingsView>('PUT', `/v1/channels/${channelId}/notifications`, input)).data;
  }

  async react(id: string, emoji: string): Promise<Reactions> {
    return (await this.request<Reactions>('PUT', `/v1/messages/${id}/reactions/${encodeURIComponent(emoji)}`)).data;
  }

  async unreact(id: string, emoji: string): Promise<Reactions> {
    return (await this.request<Reactions>('DELETE', `/v1/messages/${id}/reactions/${encodeURIComponent(emoji)}`)).data;
  }

  // Meetups

  events(filter: DiscoveryFilter = {}): Promise<Page<EventView>> {
    const { include_past, ...rest } = filter;
    return this.page<EventView>('/v1/events', { ...rest, include_past: include_past === undefined ? undefined : String(include_past) });
  }

  async createEvent(input: CreateEventInput): Promise<EventView> {
    return (await this.request<EventView>('POST', '/v1/events', input)).data;
  }

  async event(id: string): Promise<EventView> {
    return (await this.request<EventView>('GET', `/v1/events/${id}`)).data;
  }

  async updateEvent(id: string, patch: UpdateEventInput): Promise<EventView> {
    return (await this.request<EventView>('PATCH', `/v1/events/${id}`, patch)).data;
  }

  async cancelEvent(id: string): Promise<EventView> {
    return (await this.request<EventView>('DELETE', `/v1/events/${id}`)).data;
  }

  /** The meetups I am going to, might go to or wait for. */
  myEvents(cursor: { after?: string; limit?: number } = {}): Promise<Page<EventView>> {
    return this.page<EventView>('/v1/events/join', cursor);
  }

  /** Going, or waitlisted when the meetup is full. */
  async joinEvent(id: string): Promise<RsvpView> {
    return (await this.request<RsvpView>('POST', '/v1/events/join', { event_id: id })).data;
  }

  async rsvp(id: string, status: RsvpChoice): Promise<RsvpView> {
    return (await this.request<RsvpView>('PUT', `/v1/events/${id}/rsvp`, { status })).data;
  }

  async eventAttendees(id: string): Promise<AttendeesView> {
    return (await this.request<AttendeesView>('GET', `/v1/events/${id}/attendees`)).data;
  }

  /** The meetup as iCalendar text. */
  async eventCalendar(id: string): Promise<string> {
    return this.text(`/v1/events/${id}/calendar.ics`);
  }

  /** My meetups as iCalendar text. */
  async myCalendar(): Promise<string> {
    return this.text('/v1/users/me/calendar.ics');
  }

  /** A new link to my calendar feed for calendar apps; the previous one stops working. */
  async openCalendarFeed(): Promise<CalendarFeedView> {
    return (await this.request<CalendarFeedView>('POST', '/v1/users/me/calendar-feed')).data;
  }

  async closeCalendarFeed(): Promise<void> {
    await this.request('DELETE', '/v1/users/me/calendar-feed');
  }

  async createPoll(eventId: string, input: CreatePollInput): Promise<PollView> {
    return (await this.request<PollView>('POST', `/v1/events/${eventId}/polls`, input)).data;
  }

  async polls(eventId: string): Promise<PollView[]> {
    return (await this.request<PollView[]>('GET', `/v1/events/${eventId}/polls`)).data;
  }

  async vote(pollId: string, option: number): Promise<PollView> {
    return (await this.request<PollView>('PUT', `/v1/polls/${pollId}/vote`, { option })).data;
  }

  async closePoll(pollId: string): Promise<PollView> {
    return (await this.request<PollView>('POST', `/v1/polls/${pollId}/close`)).data;
  }

  /** Polls waiting for my vote. */
  async alerts(): Promise<AlertView[]> {
    return (await this.request<AlertView[]>('GET', '/v1/users/me/alerts')).data;
  }

  // Apps API: the application token in the path is the credential

  /** A new application; with a session it is mine. The answer is the only one with the webhook secret. */
  async createApplication(input: CreateApplicationInput): Promise<IssuedApplicationView> {
    return (await this.request<IssuedApplicationView>('POST', '/api/applications', input)).data;
  }

  /** My applications, oldest first, with token hints only. */
  applications(cursor: NumberCursorInput = {}): Promise<Page<ApplicationView>> {
    return this.page<ApplicationView>('/api/applications', cursor);
  }

  async application(token: string): Promise<ApplicationView> {
    return (await this.request<ApplicationView>('GET', appPath(token))).data;
  }

  async updateApplication(token: string, patch: UpdateApplicationInput): Promise<ApplicationView> {
    return (await this.request<ApplicationView>('PATCH', appPath(token), patch)).data;
  }

  async replaceApplication(token: string, input: UpdateApplicationInput): Promise<ApplicationView> {
    return (await this.request<ApplicationView>('PUT', appPath(token), input)).data;
  }

  /** A new token and webhook secret; the old token stops working at once. */
  async rotateApplication(token: string): Promise<IssuedApplicationView> {
    return (await this.request<IssuedApplicationView>('POST', `${appPath(token)}/rotate`)).data;
  }

  async createChat(token: string, chatName: string): Promise<ChatView> {
    return (await this.request<ChatView>('POST', `${appPath(token)}/chats`, { chat_name: chatName })).data;
  }

  appChats(token: string, cursor: NumberCursorInput = {}): Promise<Page<ChatView>> {
    return this.page<ChatView>(`${appPath(token)}/chats`, cursor);
  }

  async appChat(token: string, chatNumber: number): Promise<ChatView> {
    return (await this.request<ChatView>('GET', chatPath(token, chatNumber))).data;
  }

  async renameChat(token: string, chatNumber: number, chatName: string, method: 'PATCH' | 'PUT' = 'PATCH'): Promise<ChatView> {
    return (await this.request<ChatView>(method, chatPath(token, chatNumber), { chat_name: chatName })).data;
  }

  async postAppMessage(token: string, chatNumber: number, content: string): Promise<AppMessageView> {
    return (await this.request<AppMessageView>('POST', `${chatPath(token, chatNumber)}/messages`, { message_content: content })).data;
  }

  appMessages(token: string, chatNumber: number, cursor: NumberCursorInput = {}): Promise<Page<AppMessageView>> {
    return this.page<AppMessageView>(`${chatPath(token, chatNumber)}/messages`, cursor);
  }

  async appMessage(token: string, chatNumber: number, messageNumber: number): Promise<AppMessageView> {
    return (await this.request<AppMessageView>('GET', `${chatPath(token, chatNumber)}/messages/${messageNumber}`)).data;
  }

  async editAppMessage(token: string, chatNumber: number, messageNumber: number, content: string, method: 'PATCH' | 'PUT' = 'PATCH'): Promise<AppMessageView> {
    return (await this.request<AppMessageView>(method, `${chatPath(token, chatNumber)}/messages/${messageNumber}`, { message_content: content })).data;
  }

  /** Partial, case-insensitive search in one chat, by number. */
  searchAppChat(token: string, chatNumber: number, q: string, cursor: NumberCursorInput = {}): Promise<Page<SearchHitView>> {
    return this.page<SearchHitView>(`${chatPath(token, chatNumber)}/search`, { q, ...cursor });
  }

  // Reviews and forums

  albums(filter: AlbumFilter = {}): Promise<Page<AlbumView>> {
    return this.page<AlbumView>('/v1/albums', filter);
  }

  /** Adds an album; the same artist and title again is a 409 whose details name the existing album. */
  async addAlbum(input: CreateAlbumInput): Promise<AlbumView> {
    return (await this.request<AlbumView>('POST', '/v1/albums', input)).data;
  }

  /** An album with its score (count, average, weighted, histogram). */
  async album(id: string): Promise<AlbumView> {
    return (await this.request<AlbumView>('GET', `/v1/albums/${id}`)).data;
  }

  albumReviews(albumId: string, page: ReviewPage = {}): Promise<Page<ReviewView>> {
    return this.page<ReviewView>(`/v1/albums/${albumId}/reviews`, page);
  }

  /** A user's reviews, newest first (`me` for mine). */
  userReviews(userId: string, page: Omit<ReviewPage, 'sort'> = {}): Promise<Page<ReviewView>> {
    return this.page<ReviewView>(`/v1/users/${userId}/reviews`, page);
  }

  /** Reviews an album: 0.5 to 5 stars in steps of 0.5; a second review of the same album is a 409. */
  async review(input: CreateReviewInput): Promise<ReviewView> {
    return (await this.request<ReviewView>('POST', '/v1/reviews', input)).data;
  }

  async editReview(id: string, patch: UpdateReviewInput): Promise<ReviewView> {
    return (await this.request<ReviewView>('PUT', `/v1/reviews/${id}`, patch)).data;
  }

  async deleteReview(id: string): Promise<{ id: string; album_id: string }> {
    return (await this.request<{ id: string; album_id: string }>('DELETE', `/v1/reviews/${id}`)).data;
  }

  /** Opens the forum room about an album or a genre; `created` is false when it was already open. */
  async openRoom(input: CreateRoomInput): Promise<RoomView & { created: boolean }> {
    const { data, status } = await this.request<RoomView>('POST', '/v1/forums/rooms', input);
    return { ...data, created: status === 201 };
  }

  /** Open forum rooms, most recently active first. */
  rooms(cursor: { after?: string; limit?: number } = {}): Promise<Page<RoomView>> {
    return this.page<RoomView>('/v1/forums/rooms', cursor);
  }

  async room(id: string): Promise<RoomView> {
    return (await this.request<RoomView>('GET', `/v1/forums/rooms/${id}`)).data;
  }

  /** Closes a room (its creator or an admin): history stays readable, posting is refused. */
  async closeRoom(id: string): Promise<RoomView> {
    return (await this.request<RoomView>('DELETE', `/v1/forums/rooms/${id}`)).data;
  }

  // Talk now

  /** Waits for a partner (202 queued) or is paired at once (200 matched); asking again answers the current state. */
  async enqueue(mode: TalkModeValue): Promise<QueueStateView & { status: number }> {
    const { data, status } = await this.request<QueueStateView>('POST', '/v1/queue', { mode });
    return { ...data, status };
  }

  async queueState(): Promise<QueueStateView> {
    return (await this.request<QueueStateView>('GET', '/v1/queue')).data;
  }

  async leaveQueue(): Promise<QueueStateView> {
    return (await this.request<QueueStateView>('DELETE', '/v1/queue')).data;
  }

  /** The members of a conversation room, by alias. */
  async roomMembers(roomId: string): Promise<ConversationMemberView[]> {
    return (await this.request<ConversationMemberView[]>('GET', `/v1/channels/${roomId}/members`)).data;
  }

  /** Leaves a conversation; `room_closed` when both have left and the room is deleted. */
  async leaveRoom(roomId: string): Promise<{ ok: true; room_closed: boolean }> {
    return (await this.request<{ ok: true; room_closed: boolean }>('POST', `/v1/rooms/${roomId}/leave`)).data;
  }

  /** Never matched with that room's partner again. */
  async blockPartner(roomId: string): Promise<void> {
    await this.request('POST', `/v1/rooms/${roomId}/block`);
  }

  async report(input: ReportInput): Promise<ReportReceiptView> {
    return (await this.request<ReportReceiptView>('POST', '/v1/reports', input)).data;
  }

  /** Reports, newest first (admins). */
  reports(cursor: ReportsCursor = {}): Promise<Page<ReportView>> {
    return this.page<ReportView>('/v1/admin/reports', cursor);
  }

  /** Bans a user (admins): their sessions end and their sockets close. */
  async ban(input: BanInput): Promise<BanView> {
    return (await this.request<BanView>('POST', '/v1/admin/bans', input)).data;
  }

  /** A route that answers text (iCalendar) rather than JSON; errors still come in the JSON envelope. */
  private async text(path: string): Promise<string> {
    const response = await fetch(new URL(path, this.baseUrl), { headers: this.token ? { authorization: `Bearer ${this.token}` } : {} });
    const text = await response.text();
    if (!response.ok) {
      const error = (JSON.parse(text) as { error?: ErrorBody }).error ?? { code: 'http_error', message: text, details: [] };
      throw new RiffApiError(response.status, error, response.headers);
    }
    return text;
  }
}
