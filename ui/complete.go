package ui

import (
	"strings"

	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/sahilm/fuzzy"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/ui/styles"
)

// maxCompletions is how many suggestions the popup shows.
const maxCompletions = 8

type (
	// completionMsg: suggestions for the reference being typed (seq orders them).
	completionMsg struct {
		seq   int
		items []Suggestion
	}
	// filesMsg: the repository file list, loaded once for `@`.
	filesMsg struct{ files []string }
)

// completion is the reference picker under the cursor's word: `@file`, `#issue`,
// `!mr`, `&epic`. Matching runs in commands; results carry a sequence number so a
// slow answer for an old query is ignored.
type completion struct {
	kind, q      string
	seq, shown   int
	items        []Suggestion
	sel          int
	files        []string
	filesLoaded  bool
	filesLoading bool
}

func (c *completion) open() bool { return c.kind != "" && len(c.items) > 0 }

func (c *completion) close() {
	c.kind, c.q, c.items, c.sel = "", "", nil, 0
	c.seq++
}

func (c *completion) move(d int) {
	if n := len(c.items); n > 0 {
		c.sel = (c.sel + d + n) % n
	}
}

// lastWord is the word being typed at the end of the input.
func lastWord(s string) string {
	if s == "" || strings.ContainsAny(s[len(s)-1:], " \n\t") {
		return ""
	}
	if i := strings.LastIndexAny(s, " \n\t"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// update looks at the word under the cursor after an edit.
func (c *completion) update(m *Model) tea.Cmd {
	w := lastWord(m.input.Value())
	kind := ""
	if w != "" {
		switch w[0] {
		case '@':
			if m.opts.Files != nil {
				kind = "@"
			}
		case '#', '!', '&':
			if m.opts.Suggest != nil {
				kind = w[:1]
			}
		}
	}
	if kind == "" {
		if c.kind != "" {
			c.close()
		}
		return nil
	}
	if kind == c.kind && w[1:] == c.q {
		return nil
	}
	c.kind, c.q = kind, w[1:]
	return c.query(m)
}

func (c *completion) query(m *Model) tea.Cmd {
	if c.kind == "" {
		return nil
	}
	c.seq++
	seq, q, kind := c.seq, c.q, c.kind
	if kind == "@" {
		if fm, ok := m.opts.Files.(FileMatcher); ok {
			return func() tea.Msg {
				var items []Suggestion
				for _, f := range fm.Match(q, maxCompletions) {
					items = append(items, Suggestion{Value: f})
				}
				return completionMsg{seq: seq, items: items}
			}
		}
		if !c.filesLoaded {
			if c.filesLoading {
				return nil
			}
			c.filesLoading = true
			fp := m.opts.Files
			return func() tea.Msg { return filesMsg{files: fp.Files()} }
		}
		files := c.files
		return func() tea.Msg { return completionMsg{seq: seq, items: matchFiles(files, q)} }
	}
	sg, ctx := m.opts.Suggest, m.ctx
	return func() tea.Msg {
		items := sg.Suggest(ctx, kind, q)
		if len(items) > maxCompletions {
			items = items[:maxCompletions]
		}
		return completionMsg{seq: seq, items: items}
	}
}

// matchFiles ranks files by fuzzy match; an empty query lists the first ones.
func matchFiles(files []string, q string) []Suggestion {
	var out []Suggestion
	if q == "" {
		for _, f := range files[:min(len(files), maxCompletions)] {
			out = append(out, Suggestion{Value: f})
		}
		return out
	}
	for _, mt := range fuzzy.Find(q, files) {
		out = append(out, Suggestion{Value: mt.Str})
		if len(out) == maxCompletions {
			break
		}
	}
	return out
}

func (c *completion) results(msg completionMsg) {
	if msg.seq != c.seq || c.kind == "" {
		return
	}
	c.items, c.sel = msg.items, 0
	c.shown++ // new rows with the same count and seq must still redraw
}

// accept replaces the word being typed with the chosen reference.
func (c *completion) accept(in *textarea.Model) {
	if !c.open() {
		return
	}
	v := in.Value()
	w := lastWord(v)
	in.SetValue(v[:len(v)-len(w)] + c.kind + c.items[c.sel].Value + " ")
	c.close()
}

func (c *completion) lines(st styles.Styles, w int) []string {
	if !c.open() {
		return nil
	}
	out := make([]string, 0, len(c.items))
	for i, it := range c.items {
		// Titles are GitLab's, values may be file names: both shown sanitized.
		l := " " + c.kind + termtext.Sanitize(it.Value)
		if it.Title != "" {
			l += "  " + st.Muted.Render(termtext.Sanitize(it.Title))
		}
		l = ansi.Truncate(l, w, "…")
		if i == c.sel {
			l = st.Selected.Render(ansi.Strip(l))
		}
		out = append(out, l)
	}
	return out
}
