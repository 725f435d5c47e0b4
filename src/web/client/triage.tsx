import { useState } from 'preact/hooks'
import type { TriageIslandProps } from '../islands.ts'

// The triage island of one alert: an admin enters their token once (kept in sessionStorage, so
// it goes when the tab closes), picks a state, and the island POSTs it to the API with the bearer
// header and shows the answer. Without JavaScript the page shows the state only.

/** The sessionStorage key of the admin token. */
export const TOKEN_KEY = 'langperf-admin-token'

const STATES = ['new', 'acknowledged', 'invalid', 'fixed', 'wont-fix'] as const

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

/** The triage state with its editor. */
export function TriageIsland(props: TriageIslandProps) {
  const [state, setState] = useState(props.triage)
  const [note, setNote] = useState(props.note ?? '')
  const [choice, setChoice] = useState(props.triage)
  const [until, setUntil] = useState(props.until === null ? '' : props.until.slice(0, 10))
  const [savedUntil, setSavedUntil] = useState(props.until)
  const [open, setOpen] = useState(false)
  const [token, setToken] = useState<string | null>(storedToken())
  const [tokenInput, setTokenInput] = useState('')
  const [message, setMessage] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const save = async () => {
    if (token === null) return
    setBusy(true)
    setMessage(null)
    try {
      const response = await fetch(props.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          triage: choice,
          note: note === '' ? null : note,
          ...(choice === 'acknowledged' && until !== '' ? { until } : {}),
        }),
      })
      const body = (await response.json().catch(() => ({}))) as {
        triage?: string
        triageNote?: string | null
        acknowledgedUntil?: string | null
        message?: string
      }
      if (!response.ok) {
        if (response.status === 401) {
          sessionStorage.removeItem(TOKEN_KEY)
          setToken(null)
        }
        setMessage(body.message ?? `The server answered ${response.status}`)
        return
      }
      setState(body.triage ?? choice)
      setNote(body.triageNote ?? '')
      setSavedUntil(body.acknowledgedUntil ?? null)
      setOpen(false)
      setMessage('Saved')
    } catch (error) {
      setMessage(`Cannot reach the server: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <span class="triage-island">
      <span class={`triage triage-${state}`} data-triage={state}>
        {state}
        {state === 'acknowledged' && savedUntil !== null && !open ? (
          <span class="small muted ack-until"> until {savedUntil.slice(0, 10)}</span>
        ) : null}
        {note !== '' && !open ? <span class="small muted"> — {note}</span> : null}
      </span>{' '}
      {!open ? (
        <button type="button" class="link-button" onClick={() => setOpen(true)}>
          triage
        </button>
      ) : token === null ? (
        <form
          class="triage-form"
          onSubmit={(e) => {
            e.preventDefault()
            const t = tokenInput.trim()
            if (t === '') return
            sessionStorage.setItem(TOKEN_KEY, t)
            setToken(t)
          }}
        >
          <label>
            admin token{' '}
            <input
              type="password"
              autocomplete="off"
              value={tokenInput}
              onInput={(e) => setTokenInput(e.currentTarget.value)}
              placeholder="lp_…"
            />
          </label>{' '}
          <button type="submit">Use token</button>{' '}
          <button type="button" class="link-button" onClick={() => setOpen(false)}>
            cancel
          </button>
        </form>
      ) : (
        <form
          class="triage-form"
          onSubmit={(e) => {
            e.preventDefault()
            void save()
          }}
        >
          <select value={choice} onChange={(e) => setChoice(e.currentTarget.value)} aria-label="Triage state">
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>{' '}
          {choice === 'acknowledged' ? (
            <>
              <label class="small">
                until{' '}
                <input
                  type="date"
                  value={until}
                  onInput={(e) => setUntil(e.currentTarget.value)}
                  aria-label="Expected until (optional)"
                />
              </label>{' '}
            </>
          ) : null}
          <input
            value={note}
            onInput={(e) => setNote(e.currentTarget.value)}
            placeholder="note"
            aria-label="Note"
          />{' '}
          <button type="submit" disabled={busy}>
            Save
          </button>{' '}
          <button type="button" class="link-button" onClick={() => setOpen(false)}>
            cancel
          </button>
        </form>
      )}
      {message !== null ? (
        <span class="small triage-message" role="status">
          {' '}
          {message}
        </span>
      ) : null}
    </span>
  )
}
