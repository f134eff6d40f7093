import { useEffect, useState } from 'preact/hooks';
import type { AppMessageView, ApplicationView, ChatView, IssuedApplicationView, Page as ListPage } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { dateTime, ErrorNote, formFields, Page, problem } from '../shared/ui.js';
import './apps.css';

/** The application being tried out: its token is the credential of every call, so it lives only in this page's memory. */
interface Open {
  token: string;
  application: ApplicationView;
}

/** A console for developers of the Apps API: make applications, then try their chats and messages by hand. */
export function AppsPage() {
  const { client } = useSession();
  const [applications, setApplications] = useState<ApplicationView[] | undefined>();
  const [issued, setIssued] = useState<IssuedApplicationView | undefined>();
  const [open, setOpen] = useState<Open | undefined>();
  const [error, setError] = useState('');

  const refresh = () =>
    client.applications({ limit: 100 }).then(
      (page) => setApplications(page.items),
      (caught: unknown) => setError(problem(caught)),
    );
  useEffect(() => void refresh(), []);

  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = formFields(event)('application_name');
    setError('');
    try {
      const made = await client.createApplication({ application_name: name });
      form.reset();
      setIssued(made);
      setOpen({ token: made.application_token, application: made });
      void refresh();
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const openByToken = async (event: Event) => {
    event.preventDefault();
    const token = formFields(event)('token');
    setError('');
    try {
      setOpen({ token, application: await client.application(token) });
    } catch (caught) {
      setError(problem(caught));
    }
  };

  return (
    <Page title="Apps">
      <p class="lede">
        The Apps API is chat as a service: an application gets a token, makes chats and posts numbered messages in them over plain HTTP. Make one here and try it.
      </p>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      <div class="apps-grid">
        <section class="card" aria-labelledby="new-app">
          <h2 id="new-app">New application</h2>
          <form class="inline-form" onSubmit={create} aria-label="New application">
            <label>
              Application name <input name="application_name" required maxLength={100} />
            </label>
            <button type="submit">Create</button>
          </form>
          {issued && <IssuedToken issued={issued} onDone={() => setIssued(undefined)} />}
        </section>
        <section class="card" aria-labelledby="my-apps">
          <h2 id="my-apps">My applications</h2>
          {applications === undefined ? (
            <p class="muted">Loading…</p>
          ) : applications.length === 0 ? (
            <p class="muted">None yet.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Token ends</th>
                    <th scope="col">Chats</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {applications.map((application) => (
                    <tr key={application.application_token_hint + application.created_at}>
                      <td>{application.application_name}</td>
                      <td>
                        <code>…{application.application_token_hint}</code>
                      </td>
                      <td>{application.chats_count}</td>
                      <td>{dateTime(application.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <form class="inline-form" onSubmit={openByToken} aria-label="Open an application">
            <label>
              Application token <input name="token" required autocomplete="off" spellcheck={false} />
            </label>
            <button type="submit" class="secondary">
              Open
            </button>
          </form>
          <p class="muted small">The list shows only the end of each token: paste the whole token to work with its chats.</p>
        </section>
      </div>
      {open && <ApplicationConsole key={open.token} open={open} onChanged={() => void refresh()} />}
    </Page>
  );
}

/** The one time a token (and webhook secret) is shown: copy it now. */
function IssuedToken({ issued, onDone }: { issued: IssuedApplicationView; onDone: () => void }) {
  return (
    <div class="issued" role="region" aria-label="New application token">
      <p class="warning">
        <strong>Copy the token now:</strong> it is shown only once. Riff keeps only a hash of it.
      </p>
      <Secret label="Application token" value={issued.application_token} />
      <Secret label="Webhook secret" value={issued.webhook_secret} />
      <button type="button" class="link" onClick={onDone}>
        I have copied it — hide
      </button>
    </div>
  );
}

function Secret({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied');
    } catch {
      setCopied('Copying is blocked here: select the text and copy it');
    }
  };
  return (
    <div class="secret">
      <span class="secret-label">{label}</span>
      <code class="secret-value" aria-label={label}>
        {value}
      </code>
      <button type="button" class="secondary" onClick={() => void copy()} aria-label={`Copy ${label.toLowerCase()}`}>
        Copy
      </button>
      <span role="status" class="muted small">
        {copied}
      </span>
    </div>
  );
}

/** One application's chats, one chat's messages, and forms to add both. */
function ApplicationConsole({ open, onChanged }: { open: Open; onChanged: () => void }) {
  const { client } = useSession();
  const { token, application } = open;
  const [chats, setChats] = useState<ListPage<ChatView> | undefined>();
  const [chatNumber, setChatNumber] = useState<number | undefined>();
  const [error, setError] = useState('');

  const loadChats = () =>
    client.appChats(token, { limit: 100 }).then(setChats, (caught: unknown) => setError(problem(caught)));
  useEffect(() => void loadChats(), [token]);

  const createChat = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = formFields(event)('chat_name');
    setError('');
    try {
      const chat = await client.createChat(token, name);
      form.reset();
      await loadChats();
      setChatNumber(chat.chat_number);
      onChanged();
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const more = async () => {
    if (!chats?.next) return;
    try {
      const page = await client.page<ChatView>(chats.next);
      setChats({ items: [...chats.items, ...page.items], next: page.next });
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const chat = chats?.items.find((item) => item.chat_number === chatNumber);
  return (
    <section class="card console" aria-labelledby="console-title">
      <h2 id="console-title">{application.application_name}</h2>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      <div class="console-grid">
        <div>
          <h3>Chats</h3>
          {chats && chats.items.length === 0 && <p class="muted">No chats yet.</p>}
          {chats && chats.items.length > 0 && (
            <ul class="chat-list" aria-label="Chats">
              {chats.items.map((item) => (
                <li key={item.chat_number}>
                  <button type="button" class={item.chat_number === chatNumber ? 'chat-pick current' : 'chat-pick'} aria-pressed={item.chat_number === chatNumber} onClick={() => setChatNumber(item.chat_number)}>
                    <span>
                      #{item.chat_number} {item.chat_name}
                    </span>
                    <span class="muted small">{item.messages_count === 1 ? '1 message' : `${item.messages_count} messages`}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          {chats?.next && (
            <button type="button" class="link" onClick={() => void more()}>
              More chats
            </button>
          )}
          <form class="inline-form" onSubmit={createChat} aria-label="New chat">
            <label>
              Chat name <input name="chat_name" required maxLength={100} />
            </label>
            <button type="submit">Create chat</button>
          </form>
        </div>
        <div>
          {chat ? (
            <ChatMessages token={token} chat={chat} onPosted={() => void loadChats()} />
          ) : (
            <p class="muted">Pick a chat, or make one, to see its messages.</p>
          )}
        </div>
      </div>
      <CurlExample token={token} chatNumber={chatNumber ?? 1} />
    </section>
  );
}

function ChatMessages({ token, chat, onPosted }: { token: string; chat: ChatView; onPosted: () => void }) {
  const { client } = useSession();
  const [messages, setMessages] = useState<ListPage<AppMessageView> | undefined>();
  const [error, setError] = useState('');

  const load = () =>
    client.appMessages(token, chat.chat_number, { limit: 100 }).then(setMessages, (caught: unknown) => setError(problem(caught)));
  useEffect(() => void load(), [token, chat.chat_number]);

  const post = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const content = formFields(event)('message_content');
    setError('');
    try {
      await client.postAppMessage(token, chat.chat_number, content);
      form.reset();
      await load();
      onPosted();
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const more = async () => {
    if (!messages?.next) return;
    try {
      const page = await client.page<AppMessageView>(messages.next);
      setMessages({ items: [...messages.items, ...page.items], next: page.next });
    } catch (caught) {
      setError(problem(caught));
    }
  };

  return (
    <div>
      <h3>
        Messages of #{chat.chat_number} {chat.chat_name}
      </h3>
      <ErrorNote error={error} />
      {messages && messages.items.length === 0 && <p class="muted">No messages yet.</p>}
      {messages && messages.items.length > 0 && (
        <ol class="app-messages" aria-label={`Messages of chat ${chat.chat_number}`}>
          {messages.items.map((message) => (
            <li key={message.message_number}>
              <span class="number">#{message.message_number}</span>
              <span class="content">{message.message_content}</span>
              <time class="muted small" dateTime={message.created_at}>
                {dateTime(message.created_at)}
              </time>
            </li>
          ))}
        </ol>
      )}
      {messages?.next && (
        <button type="button" class="link" onClick={() => void more()}>
          More messages
        </button>
      )}
      <form class="inline-form" onSubmit={post} aria-label="Post a message">
        <label>
          Message <input name="message_content" required maxLength={4000} />
        </label>
        <button type="submit">Post</button>
      </form>
    </div>
  );
}

/** How to do the same from a terminal, against this very server. */
function CurlExample({ token, chatNumber }: { token: string; chatNumber: number }) {
  const base = `${location.origin}/api/applications/${encodeURIComponent(token)}`;
  const example = [
    `curl -X POST ${base}/chats -H 'content-type: application/json' -d '{"chat_name":"support"}'`,
    `curl -X POST ${base}/chats/${chatNumber}/messages -H 'content-type: application/json' -d '{"message_content":"hello"}'`,
    `curl ${base}/chats/${chatNumber}/messages`,
  ].join('\n');
  return (
    <details class="curl">
      <summary>Try it with curl</summary>
      <pre tabIndex={0} aria-label="curl example">
        <code>{example}</code>
      </pre>
    </details>
  );
}
