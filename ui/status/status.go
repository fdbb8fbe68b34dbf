// Package status renders the one-line status bar.
package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

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
	// Hint is a transient message ("press ctrl+c again to quit"); it wins space.
	Hint string
}

// Render draws the bar exactly width cells wide. Items are dropped from the least
// important (cost, tokens, model) when the terminal is narrow.
func Render(i Info, st styles.Styles, width int) string {
	if width <= 0 {
		return ""
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
		left += " ⎇ " + i.Branch
	}
	// In order of importance; the first ones survive the longest.
	items := []string{
		strings.TrimSpace(left),
		state,
		FormatDuration(i.Elapsed),
		i.Model,
		fmt.Sprintf("↑%s ↓%s", FormatTokens(i.InTokens), FormatTokens(i.OutTokens)),
		fmt.Sprintf("$%.2f", i.CostUSD),
	}
	if i.Hint != "" {
		items = append([]string{i.Hint}, items...)
	}
	const sep = " │ "
	var keep []int
	used := 2 // one space padding each side
	for idx, it := range items {
		if it == "" {
			continue
		}
		w := ansi.StringWidth(it)
		if len(keep) > 0 {
			w += ansi.StringWidth(sep)
		}
		if used+w > width {
			if len(keep) == 0 {
				keep = append(keep, idx)
				used = width
			}
			continue
		}
		keep = append(keep, idx)
		used += w
	}
	// Display in a stable order: [hint,] repo, model, state, tokens, cost, elapsed.
	off := 0
	var order []int
	if i.Hint != "" {
		off = 1
		order = append(order, 0)
	}
	for _, o := range []int{0, 3, 1, 4, 5, 2} {
		order = append(order, o+off)
	}
	stateIdx := 1 + off
	var parts []string
	for _, o := range order {
		for _, k := range keep {
			if k != o {
				continue
			}
			if k == stateIdx {
				parts = append(parts, st.StatusState.Render(items[k]))
			} else {
				parts = append(parts, st.StatusItem.Render(items[k]))
			}
		}
	}
	line := " " + strings.Join(parts, st.StatusBar.Render(sep))
	line = ansi.Truncate(line, width, "…")
	if pad := width - ansi.StringWidth(line); pad > 0 {
		line += st.StatusBar.Render(strings.Repeat(" ", pad))
	}
	return line
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
