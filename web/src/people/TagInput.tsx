import { useState } from 'preact/hooks';

/**
 * Free-text tags (instruments, genres): typed and added with Enter, a comma or by leaving the field,
 * each removed by its own button (or Backspace in the empty field).
 */
export function TagInput({ legend, noun, tags, onChange, max = 20 }: { legend: string; noun: string; tags: string[]; onChange: (tags: string[]) => void; max?: number }) {
  const [draft, setDraft] = useState('');
  const add = (text: string) => {
    const tag = text.trim();
    setDraft('');
    if (!tag || tags.length >= max || tags.some((existing) => existing.toLowerCase() === tag.toLowerCase())) return;
    onChange([...tags, tag.slice(0, 50)]);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      add(draft);
    } else if (event.key === 'Backspace' && draft === '' && tags.length > 0) {
      onChange(tags.slice(0, -1));
    }
  };
  const onInput = (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    // A pasted "bass, synth" becomes two tags.
    if (value.includes(',')) {
      const parts = value.split(',');
      const rest = parts.pop() ?? '';
      const fresh = parts.map((part) => part.trim()).filter((part, index, all) => part && all.indexOf(part) === index);
      const merged = [...tags, ...fresh.filter((part) => !tags.some((tag) => tag.toLowerCase() === part.toLowerCase()))].slice(0, max);
      onChange(merged);
      setDraft(rest);
    } else setDraft(value);
  };
  return (
    <fieldset class="tag-input">
      <legend>{legend}</legend>
      {tags.length > 0 && (
        <ul class="tag-list" aria-label={legend}>
          {tags.map((tag) => (
            <li key={tag} class="tag-chip">
              {tag}
              <button type="button" class="tag-remove" aria-label={`Remove ${tag}`} onClick={() => onChange(tags.filter((existing) => existing !== tag))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <label>
        <span class="visually-hidden">Add {noun}</span>
        <input value={draft} onInput={onInput} onKeyDown={onKeyDown} onBlur={() => add(draft)} placeholder={`Add ${noun} — Enter or comma`} disabled={tags.length >= max} />
      </label>
    </fieldset>
  );
}
