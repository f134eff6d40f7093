/**
 * The typed Riff client: one method per route, used by the tests, the CLI, benchmarks
 * and the web app. It holds the session token it was given or that logging in returned.
 */
import type {
  DirectoryFilter,
  GuestView,
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

export type { DirectoryFilter, GuestView, LogInInput, ProfilePatchInput, SignedInView, SignUpInput, UserView };
export type { AnnouncementView, ChannelView, CreateChannelInput, HistoryCursor, HistoryItemView, MemberView, MessageView, PostMessageInput, UpdateChannelInput };
export type { AlertView, AttendeesView, CalendarFeedView, CreateEventInput, CreatePollInput, DiscoveryFilter, EventView, PollView, RsvpChoice, RsvpView, UpdateEventInput };

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
