// The zones a time-zone select offers: the US ones first, then the rest, grouped. Shared by
// My Company (the agency's zone) and Preferences (a user's own).
export function TimeZoneOptions({ zones }: { zones: { us: readonly string[]; other: readonly string[] } }) {
  return (
    <>
      {(
        [
          ['United States', zones.us],
          ['Everywhere else', zones.other],
        ] as const
      ).map(([group, list]) => (
        <optgroup key={group} label={group}>
          {list.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </optgroup>
      ))}
    </>
  );
}
