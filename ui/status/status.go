// Package status renders the one-line status bar.
package status

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/ui/styles"
)

// Info is everything the bar shows.
type Info struct {
	Repo, Branch, Model string
	State               string // "idle", "running", "paused", ...
	Spinner             string // shown before the state while something runs
	InTokens, OutTokens int64
	CostUSD             float64
	Elapsed             time.Duration
	// Changes summarises proposed changes ("2 files +12 -3"); empty hides it.
	Changes string
	// Indexing is the background file index's progress ("indexing 43,210
	// files…"); empty once it is done.
	Indexing string
	// Hint is a transient message ("press ctrl+c again to quit"); it wins space.
	Hint string
	// ASCII avoids glyphs common fonts lack (the branch's ⎇).
	ASCII bool
}

// Render draws the bar exactly width cells wide. Items are dropped from the least
// important (cost, tokens, model) when the terminal is narrow.
func Render(i Info, st styles.Styles, width int) string {
	if width <= 0 {
		return ""
	}
	// The branch can be anyone's name for it, the hint can quote an error.
	for _, f := range []*string{&i.Repo, &i.Branch, &i.Model, &i.Changes, &i.Indexing, &i.Hint} {
		*f = termtext.Sanitize(*f)
	}
	state := i.State
	if state == "" {
		state = "idle"
	}
	if i.Spinner != "" {
		state = i.Spinner + " " + state
	}
	left := i.Repo
	if i.Branch != "" {
		if i.ASCII {
			left += " on " + i.Branch
		} else {
			left += " ⎇ " + i.Branch
		}
	}
	// In order of importance: the first ones survive the longest. The first item
	// is always shown (truncated if it must be).
	type item struct {
		text  string
		state bool
	}
	items := []item{{text: state, state: true}, {text: i.Indexing}, {text: strings.TrimSpace(left)}, {text: FormatDuration(i.Elapsed)},
		{text: i.Changes}, {text: i.Model}, {text: fmt.Sprintf("↑%s ↓%s", FormatTokens(i.InTokens), FormatTokens(i.OutTokens))},
		{text: fmt.Sprintf("$%.2f", i.CostUSD)}}
	if i.Hint != "" {
		items = append([]item{{text: i.Hint}}, items...)
	}
	const sep = " │ "
	used := 2 // one space of padding on each side
	var parts []string
	for _, it := range items {
		if it.text == "" {
			continue
		}
		w := ansi.StringWidth(it.text)
		if len(parts) > 0 {
			w += ansi.StringWidth(sep)
		}
		if used+w > width && len(parts) > 0 {
			// The repository may be cut short rather than dropped.
			if room := width - used - ansi.StringWidth(sep); it.text == strings.TrimSpace(left) && room >= 8 {
				parts = append(parts, st.StatusItem.Render(ansi.Truncate(it.text, room, "…")))
			}
			break
		}
		used += w
		if it.state {
			parts = append(parts, st.StatusState.Render(it.text))
		} else {
			parts = append(parts, st.StatusItem.Render(it.text))
		}
	}
	line := " " + strings.Join(parts, st.StatusBar.Render(sep))
	line = ansi.Truncate(line, width, "…")
	if pad := width - ansi.StringWidth(line); pad > 0 {
		line += st.StatusBar.Render(strings.Repeat(" ", pad))
	}
	return line
}

// FormatCount writes 43,210: a count read at a glance.
func FormatCount(n int) string {
	if n < 0 {
		return "-" + FormatCount(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// FormatTokens writes 950, 12.3k, 1.2M.
func FormatTokens(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprintf("%d", n)
}

// FormatDuration writes 0s, 42s, 3m07s, 1h02m.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}
