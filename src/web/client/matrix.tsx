import type { MatrixIslandProps } from '../islands.ts'

// The matrix island: choosing a baseline opens its page at once (the page without JavaScript
// has a Show button, or links in a static report).

/** The baseline picker. */
export function MatrixIsland(props: MatrixIslandProps) {
  return (
    <label class="picker">
      baseline{' '}
      <select
        onChange={(e) => {
          const option = props.options.find((o) => o.value === e.currentTarget.value)
          if (option !== undefined) window.location.href = option.href
        }}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value} selected={o.value === props.selected}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  )
}
