// A filter of a list or report: a labelled select whose first choice is "Any" (no filter),
// unless the filter always has a value.

export function FilterSelect({
  name,
  label,
  value,
  options,
  noAny,
  idPrefix = 'filter',
}: {
  name: string;
  label: string;
  value: string | undefined;
  options: Array<[string, string]> | Array<readonly [string, string]>;
  noAny?: boolean;
  idPrefix?: string;
}) {
  const id = `${idPrefix}-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} defaultValue={value ?? ''}>
        {noAny ? null : <option value="">Any</option>}
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}
