import { useState } from 'preact/hooks';
import type { CreatePollInput, EventView, PollView } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { ErrorNote, problem } from '../shared/ui.js';
import { instantToWallClock, longDateTime, wallClockToInstant } from './time.js';

const KINDS: { kind: CreatePollInput['kind']; label: string; question: string }[] = [
  { kind: 'generic', label: 'A question', question: '' },
  { kind: 'reschedule', label: 'Another time', question: 'Which time works for everyone?' },
  { kind: 'relocate', label: 'Another place', question: 'Where should we meet?' },
];

/** An option as people read it: a reschedule poll's instants in the viewer's zone. */
const optionLabel = (poll: PollView, label: string) => (poll.kind === 'reschedule' && !Number.isNaN(Date.parse(label)) ? longDateTime(label) : label);

/** The meetup's polls with live counts; participants vote, the organizer opens and closes them. */
export function Polls({ event, polls, organizing, onPoll }: { event: EventView; polls: PollView[]; organizing: boolean; onPoll: (poll: PollView) => void }) {
  const [creating, setCreating] = useState(false);
  const open = event.status === 'scheduled';
  return (
    <section class="polls" aria-labelledby="polls-heading">
      <div class="row spread">
        <h2 id="polls-heading">Polls</h2>
        {organizing && open && !creating && (
          <button type="button" class="secondary" onClick={() => setCreating(true)}>
            New poll
          </button>
        )}
      </div>
      {creating && (
        <NewPoll
          event={event}
          onCreated={(poll) => {
            onPoll(poll);
            setCreating(false);
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      {polls.length === 0 && !creating && <p class="meetups-muted">No polls yet.</p>}
      {[...polls].reverse().map((poll) => (
        <PollCard key={poll.id} poll={poll} organizing={organizing} onPoll={onPoll} />
      ))}
    </section>
  );
}

function PollCard({ poll, organizing, onPoll }: { poll: PollView; organizing: boolean; onPoll: (poll: PollView) => void }) {
  const { client, me } = useSession();
  const [error, setError] = useState('');
  const total = poll.options.reduce((sum, option) => sum + option.votes, 0);
  const voting = poll.status === 'open' && poll.participant_ids.includes(me.id);
  const act = async (action: () => Promise<PollView>) => {
    try {
      onPoll(await action());
    } catch (caught) {
      setError(problem(caught));
    }
  };
  const winner = poll.winner_index === null ? undefined : poll.options[poll.winner_index];
  return (
    <article class={`poll ${poll.status}`} aria-label={`Poll: ${poll.question}`}>
      <h3>{poll.question}</h3>
      <p class="meetups-muted">
        {poll.status === 'open' ? `Open · ${total} of ${poll.participant_ids.length} voted` : winner ? `Closed · chosen: ${optionLabel(poll, winner.label)}` : 'Closed · a tie, nothing changed'}
        {poll.status === 'open' && poll.closes_at && ` · closes ${longDateTime(poll.closes_at)}`}
      </p>
      <ul class="poll-options">
        {poll.options.map((option) => {
          const label = optionLabel(poll, option.label);
          const share = total ? Math.round((option.votes / total) * 100) : 0;
          const mine = poll.my_vote === option.index;
          return (
            <li key={option.index} class={option.index === poll.winner_index ? 'winner' : undefined}>
              <div class="poll-option">
                <span class="option-label">
                  {label}
                  {mine && <span class="meetups-muted"> (your vote)</span>}
                </span>
                <span class="votes">
                  {option.votes} {option.votes === 1 ? 'vote' : 'votes'}
                </span>
              </div>
              <div class="bar" aria-hidden="true">
                <span style={{ width: `${share}%` }} />
              </div>
              {voting && (
                <button type="button" class={mine ? 'small' : 'small secondary'} aria-pressed={mine} aria-label={`Vote for ${label}`} onClick={() => void act(() => client.vote(poll.id, option.index))}>
                  {mine ? 'Voted' : 'Vote'}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {organizing && poll.status === 'open' && (
        <button type="button" class="secondary" onClick={() => void act(() => client.closePoll(poll.id))}>
          Close poll
        </button>
      )}
      <ErrorNote error={error} onDismiss={() => setError('')} />
    </article>
  );
}

/** The organizer's new poll: a question with 2–10 answers, other times (typed in the meetup's zone) or other places. */
function NewPoll({ event, onCreated, onCancel }: { event: EventView; onCreated: (poll: PollView) => void; onCancel: () => void }) {
  const { client } = useSession();
  const [kind, setKind] = useState<CreatePollInput['kind']>('generic');
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState(['', '']);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const zone = event.time_zone.replaceAll('_', ' ');

  const setOption = (index: number, value: string) => setOptions((list) => list.map((item, at) => (at === index ? value : item)));

  const chooseKind = (next: CreatePollInput['kind']) => {
    setKind(next);
    const template = KINDS.find((item) => item.kind === next)!;
    if (!question || KINDS.some((item) => item.question === question)) setQuestion(template.question);
    setOptions(next === 'reschedule' ? [instantToWallClock(event.starts_at, event.time_zone), ''] : ['', '']);
  };

  const submit = async (submitted: Event) => {
    submitted.preventDefault();
    const answers = options.map((option) => option.trim()).filter(Boolean);
    if (answers.length < 2) return setError('Give at least two options');
    setBusy(true);
    setError('');
    try {
      const values = kind === 'reschedule' ? answers.map((answer) => wallClockToInstant(answer, event.time_zone)) : answers;
      onCreated(await client.createPoll(event.id, { kind, question: question.trim(), options: values }));
    } catch (caught) {
      setError(problem(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card new-poll" aria-label="New poll" onSubmit={submit}>
      <fieldset class="kinds">
        <legend>Ask about</legend>
        {KINDS.map((item) => (
          <label class="check" key={item.kind}>
            <input type="radio" name="kind" value={item.kind} checked={kind === item.kind} onChange={() => chooseKind(item.kind)} />
            {item.label}
          </label>
        ))}
      </fieldset>
      <label>
        Question
        <input required maxLength={300} value={question} onInput={(input) => setQuestion(input.currentTarget.value)} />
      </label>
      {options.map((option, index) => (
        <div class="row" key={index}>
          <label class="grow">
            {kind === 'reschedule' ? `Time ${index + 1} (${zone})` : kind === 'relocate' ? `Place ${index + 1}` : `Option ${index + 1}`}
            {kind === 'reschedule' ? (
              <input type="datetime-local" value={option} onInput={(input) => setOption(index, input.currentTarget.value)} />
            ) : (
              <input maxLength={300} value={option} onInput={(input) => setOption(index, input.currentTarget.value)} />
            )}
          </label>
          {options.length > 2 && (
            <button type="button" class="link" aria-label={`Remove option ${index + 1}`} onClick={() => setOptions((list) => list.filter((_, at) => at !== index))}>
              Remove
            </button>
          )}
        </div>
      ))}
      {options.length < 10 && (
        <button type="button" class="link" onClick={() => setOptions((list) => [...list, ''])}>
          + Add option
        </button>
      )}
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" disabled={busy}>
          Open poll
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
