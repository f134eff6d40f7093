import { useEffect, useState } from 'preact/hooks';
import type { MatchView, QueueStateView, TalkModeValue } from '../../../src/client/index.js';
import { useFrames, useLinkState, useSession } from '../app/session.js';
import { ChannelRoom } from '../channels/ChannelRoom.js';
import type { Frame } from '../shared/live.js';
import { ErrorNote, formFields, Page, problem } from '../shared/ui.js';
import './talk.css';

/** How often the waiting screen asks for its place in the queue, which moves as others are paired. */
const POSITION_POLL_MS = 4_000;

const MODES: { mode: TalkModeValue; title: string; explanation: string }[] = [
  { mode: 'vent', title: 'Vent', explanation: 'Get something off your chest: you are paired with someone who is here to listen.' },
  { mode: 'listen', title: 'Listen', explanation: 'Lend an ear: you are paired with someone who needs to vent.' },
  { mode: 'talk', title: 'Talk', explanation: 'A two-way conversation with another musician who wants to talk too.' },
];

const modeTitle = (mode: TalkModeValue) => MODES.find((entry) => entry.mode === mode)?.title ?? mode;

type Stage =
  | { kind: 'loading' }
  | { kind: 'choose'; note?: string }
  | { kind: 'waiting'; mode: TalkModeValue; position: number | undefined; since: number }
  | { kind: 'talking'; match: MatchView }
  | { kind: 'ended'; match: MatchView; stillIn: boolean };

/** The queue's answer as the stage it puts this page in. */
function stageOf(state: QueueStateView): Stage {
  if (state.state === 'matched' && state.room_id && state.partner_alias && state.partner_alias_id && state.partner_mode && state.alias && state.alias_id && state.mode) {
    const { room_id, partner_alias, partner_alias_id, partner_mode, alias, alias_id, mode } = state;
    return { kind: 'talking', match: { room_id, partner_alias, partner_alias_id, partner_mode, alias, alias_id, mode } };
  }
  if (state.state === 'queued' && state.mode) return { kind: 'waiting', mode: state.mode, position: state.position, since: Date.now() - (state.waited_s ?? 0) * 1000 };
  return { kind: 'choose' };
}

/** Anonymous one-to-one conversations: choose how to talk, wait for a partner, talk by alias. */
export function TalkPage() {
  const { client } = useSession();
  const link = useLinkState();
  const [stage, setStage] = useState<Stage>({ kind: 'loading' });
  const [error, setError] = useState('');

  const refresh = async () => {
    try {
      const next = stageOf(await client.queueState());
      // An ended conversation stays on screen until its reader moves on (the server still counts
      // one who has not left yet as in it).
      setStage((current) => (current.kind === 'ended' && (next.kind === 'choose' || (next.kind === 'talking' && next.match.room_id === current.match.room_id)) ? current : next));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  // On arrival and after every reconnect: a match may have come while the socket was down.
  useEffect(() => {
    if (link === 'live' || stage.kind === 'loading') void refresh();
  }, [link]);

  useEffect(() => {
    if (stage.kind !== 'waiting') return;
    const timer = setInterval(() => void refresh(), POSITION_POLL_MS);
    return () => clearInterval(timer);
  }, [stage.kind]);

  useFrames((frame: Frame) => {
    if (frame.type === 'queue.matched') {
      setStage({ kind: 'talking', match: frame.data as MatchView });
      return;
    }
    if (stage.kind !== 'talking' || frame.channel_id !== stage.match.room_id) return;
    if (frame.type === 'room.closed') setStage({ kind: 'ended', match: stage.match, stillIn: false });
    const announcement = (frame.data as { announcement?: { type?: string; user_id?: string } } | undefined)?.announcement;
    if (frame.type === 'member.left' && announcement?.user_id === stage.match.partner_alias_id) setStage({ kind: 'ended', match: stage.match, stillIn: true });
  });

  const act = async (action: () => Promise<Stage>) => {
    setError('');
    try {
      setStage(await action());
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const start = (mode: TalkModeValue) => act(async () => stageOf(await client.enqueue(mode)));
  const cancel = () => act(async () => (await client.leaveQueue(), { kind: 'choose', note: 'You left the queue.' }));
  const leave = (match: MatchView, note: string) => act(async () => (await client.leaveRoom(match.room_id), { kind: 'choose', note }));
  const block = (match: MatchView) =>
    act(async () => {
      await client.blockPartner(match.room_id);
      await client.leaveRoom(match.room_id);
      return { kind: 'choose', note: `You blocked ${match.partner_alias}: you will not be paired again.` };
    });
  const talkAgain = (ended: { match: MatchView; stillIn: boolean }) =>
    act(async () => {
      if (ended.stillIn) await client.leaveRoom(ended.match.room_id).catch(() => undefined);
      return { kind: 'choose' };
    });

  return (
    <Page title="Talk now">
      <ErrorNote error={error} onDismiss={() => setError('')} />
      {stage.kind === 'loading' && <p class="talk-intro">Checking the queue…</p>}
      {stage.kind === 'choose' && <Choose note={stage.note} onChoose={start} />}
      {stage.kind === 'waiting' && <Waiting mode={stage.mode} position={stage.position} since={stage.since} onCancel={cancel} />}
      {stage.kind === 'talking' && <Conversation match={stage.match} onLeave={() => leave(stage.match, 'You left the conversation.')} onBlock={() => block(stage.match)} />}
      {stage.kind === 'ended' && (
        <section class="talk-ended card" aria-labelledby="talk-ended">
          <h2 id="talk-ended">The conversation has ended</h2>
          <p>{stage.stillIn ? `${stage.match.partner_alias} left. The room and its messages are deleted once you leave too.` : 'The room and its messages are deleted.'}</p>
          <button type="button" onClick={() => talkAgain(stage)}>
            Talk again
          </button>
        </section>
      )}
    </Page>
  );
}

function Choose({ note, onChoose }: { note: string | undefined; onChoose: (mode: TalkModeValue) => void }) {
  return (
    <section aria-labelledby="talk-choose">
      {note && (
        <p class="talk-note" role="status">
          {note}
        </p>
      )}
      <p class="talk-intro">Talk one to one with another musician, anonymously: you both get an alias, and the room and its messages are deleted when you both leave.</p>
      <h2 id="talk-choose">How do you want to talk?</h2>
      <ul class="talk-modes">
        {MODES.map((entry) => (
          <li key={entry.mode} class="card">
            <h3>{entry.title}</h3>
            <p id={`talk-mode-${entry.mode}`}>{entry.explanation}</p>
            <button type="button" aria-describedby={`talk-mode-${entry.mode}`} onClick={() => onChoose(entry.mode)}>
              {entry.title}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "1:05" for 65 seconds. */
const minutesAndSeconds = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

function Waiting({ mode, position, since, onCancel }: { mode: TalkModeValue; position: number | undefined; since: number; onCancel: () => void }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const waited = Math.max(0, Math.floor((now - since) / 1000));
  return (
    <section class="talk-waiting card" aria-labelledby="talk-waiting">
      <h2 id="talk-waiting">Looking for someone to {mode === 'vent' ? 'listen to you' : mode === 'listen' ? 'listen to' : 'talk with'}…</h2>
      <p class="spinner" aria-hidden="true">
        ♪
      </p>
      <dl class="talk-facts">
        <dt>You chose</dt>
        <dd>{modeTitle(mode)}</dd>
        <dt>Place in the queue</dt>
        <dd>{position ?? '…'}</dd>
        <dt>Waiting for</dt>
        <dd>
          <time dateTime={`PT${waited}S`}>{minutesAndSeconds(waited)}</time>
        </dd>
      </dl>
      <button type="button" class="secondary" onClick={onCancel}>
        Cancel
      </button>
    </section>
  );
}

function Conversation({ match, onLeave, onBlock }: { match: MatchView; onLeave: () => void; onBlock: () => void }) {
  const [panel, setPanel] = useState<'none' | 'leave' | 'report' | 'block' | 'reported'>('none');
  const header = (
    <header class="channel-head talk-head">
      <div>
        <h2>Talking with {match.partner_alias}</h2>
        <p class="description">
          You are {match.alias} ({modeTitle(match.mode)}); {match.partner_alias} chose {modeTitle(match.partner_mode)}. Only aliases are shown.
        </p>
      </div>
      <div class="row talk-actions">
        <button type="button" class="secondary" aria-expanded={panel === 'leave'} onClick={() => setPanel(panel === 'leave' ? 'none' : 'leave')}>
          Leave
        </button>
        <button type="button" class="secondary" aria-expanded={panel === 'report'} onClick={() => setPanel(panel === 'report' ? 'none' : 'report')}>
          Report
        </button>
        <button type="button" class="secondary" aria-expanded={panel === 'block'} onClick={() => setPanel(panel === 'block' ? 'none' : 'block')}>
          Block
        </button>
      </div>
      {panel === 'leave' && (
        <Confirm question="Leave this conversation? You cannot come back to it." yes="Leave the conversation" onYes={onLeave} onNo={() => setPanel('none')} />
      )}
      {panel === 'block' && (
        <Confirm question={`Block ${match.partner_alias}? You leave the conversation and are never paired with them again.`} yes={`Block ${match.partner_alias}`} onYes={onBlock} onNo={() => setPanel('none')} />
      )}
      {panel === 'report' && <ReportForm roomId={match.room_id} onDone={() => setPanel('reported')} onCancel={() => setPanel('none')} />}
      {panel === 'reported' && (
        <p class="talk-note" role="status">
          Thank you — a moderator will read your report.
        </p>
      )}
    </header>
  );
  return (
    <div class="talk-room">
      <ChannelRoom channelId={match.room_id} label={match.partner_alias} header={header} myAuthorId={match.alias_id} myName={match.alias} />
    </div>
  );
}

function Confirm({ question, yes, onYes, onNo }: { question: string; yes: string; onYes: () => void; onNo: () => void }) {
  return (
    <div class="talk-confirm" role="group" aria-label="Confirm">
      <p>{question}</p>
      <div class="row">
        <button type="button" onClick={onYes}>
          {yes}
        </button>
        <button type="button" class="secondary" onClick={onNo}>
          Stay
        </button>
      </div>
    </div>
  );
}

function ReportForm({ roomId, onDone, onCancel }: { roomId: string; onDone: () => void; onCancel: () => void }) {
  const { client } = useSession();
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const reason = formFields(event)('reason');
    if (!reason) return setError('Say what happened');
    try {
      await client.report({ room_id: roomId, reason });
      onDone();
    } catch (caught) {
      setError(problem(caught));
    }
  };
  return (
    <form class="talk-confirm" aria-label="Report the conversation" onSubmit={submit}>
      <label>
        What happened? <textarea name="reason" rows={3} maxLength={1000} required />
      </label>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit">Send report</button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
