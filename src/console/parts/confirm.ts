import { useEffect, useRef } from 'preact/hooks';
import { html } from '../html.js';

/**
 * A modal confirmation (native <dialog>: focus moves into it, Escape cancels, focus returns to the
 * button that opened it).
 */
export function Confirm(props: { question: string | undefined; onAnswer: (yes: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.question && !dialog.open) dialog.showModal();
    if (!props.question && dialog.open) dialog.close();
  }, [props.question]);
  return html`<dialog ref=${ref} aria-labelledby="confirm-q" onCancel=${() => props.onAnswer(false)}>
    <form method="dialog" onSubmit=${(e: Event) => e.preventDefault()}>
      <p id="confirm-q">${props.question}</p>
      <div class="row">
        <button type="button" class="danger" onClick=${() => props.onAnswer(true)}>Yes, go ahead</button>
        <button type="button" autofocus onClick=${() => props.onAnswer(false)}>Cancel</button>
      </div>
    </form>
  </dialog>`;
}
