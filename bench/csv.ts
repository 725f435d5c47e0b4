// A small RFC 4180 reader for the evaluation scripts: quoted fields may hold commas, newlines
// and doubled quotes ("" → "); CRLF and LF line ends both work. Bench-only: the importer
// proper belongs to src/analysis.

/** Parses CSV text into rows of fields (no header handling). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text[i]
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        continue
      }
      field += c
      i++
      continue
    }
    if (c === '"' && field === '') {
      quoted = true
      i++
    } else if (c === ',') {
      row.push(field)
      field = ''
      i++
    } else if (c === '\n' || c === '\r') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1
    } else {
      field += c
      i++
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/** Parses CSV text with a header row into records keyed by column name. */
export function parseCsv(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvRows(text)
  if (header === undefined) return []
  return rows
    .filter((r) => !(r.length === 1 && r[0] === ''))
    .map((r) => {
      const record: Record<string, string> = {}
      header.forEach((name, i) => {
        record[name] = r[i] ?? ''
      })
      return record
    })
}
