// The licensed-states picker of My Company and Users & Seats: one checkbox per US state, DC
// and territory, posted as repeated `name` values. The list comes from the loader, so the
// browser bundle does not carry the hygiene module it is defined in.
import { useId } from 'react';

export function StateCheckboxes({
  legend,
  hint,
  name,
  states,
  checked,
  errors,
}: {
  legend: string;
  hint?: string;
  name: string;
  states: ReadonlyArray<{ code: string; name: string }>;
  checked: readonly string[];
  errors?: string[] | undefined;
}) {
  const id = useId();
  return (
    <fieldset aria-describedby={hint ? `${id}-hint` : undefined}>
      <legend>{legend}</legend>
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(13rem, 1fr))', gap: '0.15rem 1rem' }}>
        {states.map((st) => (
          <label key={st.code}>
            <input type="checkbox" name={name} value={st.code} defaultChecked={checked.includes(st.code)} /> {st.name} ({st.code})
          </label>
        ))}
      </div>
      {errors?.length ? <p className="field-error">{errors.join('. ')}</p> : null}
    </fieldset>
  );
}
